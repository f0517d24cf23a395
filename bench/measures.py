"""One function per measure. Each takes the lab, the run's settings and one data path
(a mode: where the client pod dials, and which processes carry the traffic) and returns
a dict of results. Process costs come from /proc: CPU from utime + stime of
/proc/PID/stat (all threads; utime alone is the "in userspace" part, which kernel TLS
should take to nearly nothing: with splice the kernel still encrypts in the agent's
system calls), memory from VmRSS of /proc/PID/status."""

import json
import os
import re
import subprocess

from lab import PODS_DIR, PYTHON

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
GIB = 2**30


def cpu_seconds(pids):
    """(user, system) CPU seconds of the processes, all threads."""
    user = system = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name may hold spaces; the fields after its ')' do not.
            fields = stat.read().rsplit(")", 1)[1].split()
        user += int(fields[11])  # utime (field 14)
        system += int(fields[12])  # stime (field 15)
    return user / TICKS_PER_SECOND, system / TICKS_PER_SECOND


def rss_mib(pids):
    total_kib = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


class CpuMeter:
    """CPU seconds the mode's processes spend inside a `with` block (None without any)."""

    def __init__(self, mode):
        self.pids = mode.pids()
        self.seconds = None
        self.user_seconds = None

    def __enter__(self):
        self.start = cpu_seconds(self.pids)
        return self

    def __exit__(self, *_):
        if self.pids:
            user, system = cpu_seconds(self.pids)
            self.user_seconds = user - self.start[0]
            self.seconds = self.user_seconds + system - self.start[1]


def warm_up(lab, settings, mode):
    """One second of HTTP through the path, unrecorded: the first requests to a fresh
    httpbin (and a path's first connections) are slower than the rest."""
    host, port = mode.address("http")
    lab.client(mode.namespace, "wrk", "--threads", "1", "--connections", "1", "--duration",
               "1s", f"http://{host}:{port}/ip")
    return {}


def idle_rss(lab, settings, mode):
    pids = mode.pids()
    return {"rss_idle": rss_mib(pids) if pids else None}


def rss_now(key):
    def measure(lab, settings, mode):
        pids = mode.pids()
        return {key: rss_mib(pids) if pids else None}
    return measure


def iperf(streams):
    def measure(lab, settings, mode):
        host, port = mode.address("iperf")
        with CpuMeter(mode) as cpu:
            out = lab.client(mode.namespace, "iperf3", "--client", host, "--port", str(port),
                             "--time", str(settings.seconds), "--parallel", str(streams),
                             "--json")
        received = json.loads(out)["end"]["sum_received"]
        gib = received["bytes"] / GIB
        return {f"iperf{streams}_gbps": received["bits_per_second"] / 1e9,
                f"iperf{streams}_cpu_per_gib": None if cpu.seconds is None else cpu.seconds / gib,
                f"iperf{streams}_user_cpu_per_gib":
                    None if cpu.user_seconds is None else cpu.user_seconds / gib}
    return measure


def connection_rate(lab, settings, mode):
    host, port = mode.address("greet")
    out = lab.client(mode.namespace, PYTHON, str(PODS_DIR / "dialer.py"),
                     str(settings.seconds), host, str(port))
    return {"conn_rate": float(out.strip())}


def _wrk_milliseconds(text):
    """wrk prints "850.00us", "1.20ms", "2.00s" or "1.00m"."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def http_latency(lab, settings, mode):
    """wrk, 1 thread and 4 keep-alive connections, against httpbin's /ip."""
    host, port = mode.address("http")
    with CpuMeter(mode) as cpu:
        out = lab.client(mode.namespace, "wrk", "--threads", "1", "--connections", "4",
                         "--duration", f"{settings.seconds}s", "--latency",
                         f"http://{host}:{port}/ip")
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    requests = int(re.search(r"^\s*(\d+) requests in", out, re.MULTILINE).group(1))
    per_1k = None if cpu.seconds is None or requests == 0 else cpu.seconds / (requests / 1000)
    return {"p50_ms": _wrk_milliseconds(percentile["50"]),
            "p99_ms": _wrk_milliseconds(percentile["99"]),
            "rps": float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE).group(1)),
            "cpu_per_1k_req": per_1k}


def held_connections_rss(lab, settings, mode):
    """RSS while settings.held idle connections to the sink stay open through the path."""
    if not mode.pids():
        return {"rss_held": None}
    host, port = mode.address("sink")
    holder = subprocess.Popen(
        lab.exec_argv(mode.namespace, PYTHON, str(PODS_DIR / "holder.py"), host, str(port),
                      str(settings.held)),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = holder.stdout.readline().strip()
        if line != f"held {settings.held}":
            holder.kill()
            lines = holder.stderr.read().strip().splitlines()
            raise RuntimeError(f"the holder failed: {line} {' / '.join(lines[-2:])}")
        pids = mode.pids()
        rss = rss_mib(pids) if pids else None
        holder.stdin.close()  # the holder closes its connections and exits
        holder.wait(timeout=60)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    return {"rss_held": rss}


# In the order they run; each runs for every mode before the next starts, so that load
# from other work on the machine spreads over the modes rather than landing on one.
MEASURES = [
    ("idle RSS", idle_rss),
    ("warm-up", warm_up),
    ("iperf3, 1 stream", iperf(1)),
    ("iperf3, 4 streams", iperf(4)),
    ("RSS after iperf3", rss_now("rss_after_iperf")),
    ("new connections", connection_rate),
    ("wrk keep-alive", http_latency),
    ("held connections", held_connections_rss),
]
