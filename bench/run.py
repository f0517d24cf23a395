"""scripts/bench's driver: brings up a 2-node lab, runs every measure through every data
path (direct, the ztls agents, an haproxy pair, an stunnel pair), then prints the table
and writes it with a chart to bench/results/. A benchmark: it reports what it measures
and never fails on numbers. Environment: BENCH_SECONDS (default 10), BENCH_HELD
(connections held open for the RSS measure, default 1000), ZTLS_LAB_CLUSTER."""

import datetime
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import chart
import report
from lab import BENCH_DIR, SERVICES, Lab
from measures import MEASURES
from peers import Certificates, HaproxyPair, StunnelPair

REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


class Direct:
    key = "direct"
    namespace = "direct"
    description = "pod to pod, no mesh: the client pod's namespace is not captured"

    def address(self, service):
        return "server", SERVICES[service][0]

    def pids(self):
        return []

    def start(self):
        pass

    def stop(self):
        pass


class Agents(Direct):
    key = "ztls"
    namespace = "mesh"
    kernel_tls = "off"
    description = ("the ztls agents: the client pod's namespace is captured, node2's agent "
                   "opens auto mTLS (TLS 1.3, userspace record layer, one data-path thread) "
                   "to node1's; both agents write one access-log line per connection")

    def __init__(self, lab):
        self.lab = lab

    def activate(self):
        self.lab.use_kernel_tls(self.kernel_tls)

    def pids(self):
        return self.lab.agent_pids()


class AgentsWithKernelTls(Agents):
    key = "ztls-ktls"
    kernel_tls = "auto"
    description = ("the ztls agents as above, with each established session handed to "
                   "kernel TLS and relayed with splice(): the bytes stay in the kernel")


def kernel_has_tls():
    try:
        return "tls" in open("/proc/sys/net/ipv4/tcp_available_ulp").read().split()
    except OSError:
        return False


def data_paths(lab, certificates, scratch):
    """The table's columns, in order. Each is a data path with: key, namespace (of the
    client pod that dials), address(service), pids() to account CPU and RSS to,
    start(), stop() and a description."""
    backend = lab.pod_ip("direct", "server")
    paths = [Direct(), Agents(lab)]
    # Only where the kernel has TLS (Debian's kernel, e.g. under scripts/bench --vm).
    if kernel_has_tls():
        paths.append(AgentsWithKernelTls(lab))
    paths += [
        HaproxyPair(lab, certificates, scratch, 17000, backend),
        StunnelPair(lab, certificates, scratch, 17100, backend),
    ]
    return paths


@dataclass
class Settings:
    seconds: int
    held: int
    date: str
    revision: str
    dirty: bool
    cores: int
    load_at_start: str
    open_files: int


def git(*args):
    out = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else ""


def raise_open_files():
    """Agents, proxies and pods inherit this limit; 1000 held connections need ~2000
    descriptors in each process on the path."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def settings_from_environment():
    return Settings(
        seconds=int(os.environ.get("BENCH_SECONDS", "10")),
        held=int(os.environ.get("BENCH_HELD", "1000")),
        date=datetime.date.today().isoformat(),
        revision=git("rev-parse", "--short", "HEAD") or "unknown",
        dirty=bool(git("status", "--porcelain", "--", ".", ":!bench/results")),
        cores=os.cpu_count(),
        load_at_start=" ".join(open("/proc/loadavg").read().split()[:3]),
        open_files=raise_open_files(),
    )


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def describe_failure(error):
    """One line for the report's notes: the command's last words, not its traceback."""
    if isinstance(error, subprocess.CalledProcessError):
        detail = (error.stderr or "").strip().splitlines()[-2:]
        return f"{' '.join(map(str, error.cmd[-6:]))} exited {error.returncode}: {' / '.join(detail)}"
    return " / ".join(str(error).strip().splitlines()[-2:])


def probe_notes(modes):
    """The proxy pairs' verification check, as notes for the report."""
    notes = []
    for mode in modes:
        if not hasattr(mode, "probe"):
            continue
        with_leaf, without = mode.probe()
        notes.append(f"{mode.key} server side, handshake with the client leaf: {with_leaf}; "
                     f"without a client certificate: {without}")
        if not with_leaf.startswith("ok") or not without.startswith("refused"):
            notes.append(f"WARNING: {mode.key} does not verify peers as configured")
    return notes


def run_measures(lab, settings, modes, notes):
    results = {mode.key: {} for mode in modes}
    for title, measure in MEASURES:
        for mode in modes:
            log(f"{title}: {mode.key}")
            try:
                if hasattr(mode, "activate"):
                    mode.activate()
                results[mode.key].update(measure(lab, settings, mode))
            except Exception as error:  # one failed measure leaves a gap, not a lost run
                notes.append(f"{title} through {mode.key} failed: {describe_failure(error)}")
    return results


def write_results(text, results, modes, settings):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    # A run inside scripts/vmtest is its own file: its numbers compare only with each other.
    where = "-vm" if os.environ.get("ZTLS_BENCH_WHERE") == "vm" else ""
    stem = RESULTS_DIR / f"{settings.date}-{settings.revision}{where}"
    stem.with_suffix(".md").write_text(text)
    chart.draw(results, modes, settings, stem.with_suffix(".png"))
    return stem.with_suffix(".md"), stem.with_suffix(".png")


def main():
    settings = settings_from_environment()
    lab = Lab(REPO / "build" / "default" / "bin" / "ztls-lab",
              os.environ.get("ZTLS_LAB_CLUSTER", "ztls-bench"))
    scratch = Path(tempfile.mkdtemp(prefix="ztls-bench."))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that teardown runs
    modes = []
    try:
        log("bringing up the lab")
        lab.up(nodes=2)
        lab.deploy("direct", captured=False)
        lab.deploy("mesh", captured=True)
        certificates = Certificates(scratch / "certs", lab.mesh_ca())
        modes = data_paths(lab, certificates, scratch)
        for mode in modes:
            mode.start()
        notes = [f"proxy certificates: ECDSA P-256 leaves from {certificates.source}"]
        notes += probe_notes(modes)
        results = run_measures(lab, settings, modes, notes)
    finally:
        for mode in modes:
            mode.stop()
        lab.down()
        shutil.rmtree(scratch, ignore_errors=True)
    if not kernel_has_tls():
        notes.append("this kernel has no TLS ULP, so there is no ztls-ktls column: "
                     "scripts/bench --vm measures it inside Debian's kernel")
    if settings.dirty:
        notes.append(f"run from {settings.revision} with uncommitted changes")
    text = report.render(results, modes, settings, notes)
    print(text)
    for path in write_results(text, results, modes, settings):
        print(f"written: {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
