"""The results table (markdown, also printed), the issue's targets, and the machine."""

import os
import platform
import subprocess
from dataclasses import dataclass


@dataclass
class Row:
    key: str
    label: str
    digits: int
    vs_direct: bool  # has a direct value, so a ratio to direct is shown
    higher_is_better: bool


ROWS = [
    Row("iperf1_gbps", "iperf3 1 stream, Gbit/s", 2, True, True),
    Row("iperf4_gbps", "iperf3 4 streams, Gbit/s", 2, True, True),
    Row("iperf1_cpu_per_gib", "CPU s per GiB, 1 stream", 2, False, False),
    Row("iperf4_cpu_per_gib", "CPU s per GiB, 4 streams", 2, False, False),
    Row("iperf1_user_cpu_per_gib", "of which in userspace, 1 stream", 2, False, False),
    Row("iperf4_user_cpu_per_gib", "of which in userspace, 4 streams", 2, False, False),
    Row("conn_rate", "new connections/s (4 dialers)", 0, True, True),
    Row("p50_ms", "httpbin p50 latency, ms", 3, True, False),
    Row("p99_ms", "httpbin p99 latency, ms", 3, True, False),
    Row("rps", "httpbin requests/s (4 conns)", 0, True, True),
    Row("cpu_per_1k_req", "CPU s per 1000 requests", 3, False, False),
    Row("rss_idle", "RSS MiB, idle", 1, False, False),
    Row("rss_after_iperf", "RSS MiB, after iperf3", 1, False, False),
    Row("rss_held", "RSS MiB, {held} connections held", 1, False, False),
]

# The targets: (subject, rival, row, comparison, factor). The kernel TLS one
# counts only where that column exists (scripts/bench --vm).
SUBJECT, RIVAL = "ztls", "haproxy"
TARGETS = [
    ("ztls", "haproxy", "iperf1_gbps", ">=", 1.5),
    ("ztls", "haproxy", "iperf4_gbps", ">=", 1.5),
    ("ztls", "haproxy", "conn_rate", ">=", 1.3),
    ("ztls", "haproxy", "iperf1_cpu_per_gib", "<=", 1.0),
    ("ztls", "haproxy", "iperf4_cpu_per_gib", "<=", 1.0),
    ("ztls-ktls", "ztls", "iperf1_cpu_per_gib", "<=", 0.2),
    ("ztls-ktls", "ztls", "iperf4_cpu_per_gib", "<=", 0.2),
]


def ratio(a, b):
    return None if a is None or not b else a / b


def number(value, digits):
    return "n/a" if value is None else f"{value:.{digits}f}"


def cell(results, mode_key, row):
    value = results[mode_key].get(row.key)
    text = number(value, row.digits)
    if row.vs_direct and mode_key != "direct" and value is not None:
        text += f" ({number(ratio(value, results['direct'].get(row.key)), 2)}×)"
    return text


def markdown_table(header, rows):
    widths = [max(len(str(line[i])) for line in [header, *rows]) for i in range(len(header))]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def results_table(results, modes, settings):
    header = ["measure", *(m.key for m in modes), f"{SUBJECT} ÷ {RIVAL}"]
    rows = []
    for row in ROWS:
        if not any(results[m.key].get(row.key) is not None for m in modes):
            continue
        comparison = ratio(results[SUBJECT].get(row.key), results[RIVAL].get(row.key))
        rows.append([row.label.format(held=settings.held),
                     *(cell(results, m.key, row) if m.key != "direct" or row.vs_direct else "-"
                       for m in modes),
                     number(comparison, 2)])
    return markdown_table(header, rows)


def target_lines(results):
    labels = {row.key: row.label for row in ROWS}
    lines = []
    for subject, rival, key, comparison, factor in TARGETS:
        if subject not in results or rival not in results:
            continue
        value = ratio(results[subject].get(key), results[rival].get(key))
        if value is None:
            verdict = "not measured"
        else:
            met = value >= factor if comparison == ">=" else value <= factor
            verdict = f"{value:.3f}× — {'met' if met else 'not met'}"
        sign = "≥" if comparison == ">=" else "≤"
        scale = "" if factor == 1 else f"{factor:g}× "
        lines.append(f"- {labels[key]}: {subject} {sign} {scale}{rival}: {verdict}")
    return lines


def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True)
    except OSError:
        return "not installed"
    for line in (out.stdout + out.stderr).splitlines():
        if line.strip() and not line.startswith("Initializing"):
            return line.strip()
    return "unknown"


def machine_lines(settings):
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    return [
        f"- CPU: {os.cpu_count()} cores, {model}",
        f"- kernel: {platform.release()}; memory: {memory_kib / 2**20:.1f} GiB",
        f"- load average at start: {settings.load_at_start} (other work on the machine "
        "makes numbers noisy)",
        f"- {first_line(['openssl', 'version'])}; "
        f"{first_line(['haproxy', '-v']).split(' - ')[0]}; "
        f"{first_line(['stunnel4', '-version']).split(' on ')[0]}",
        f"- BENCH_SECONDS={settings.seconds} per run; {settings.held} held connections; "
        f"open files limit {settings.open_files}",
    ]


def render(results, modes, settings, notes):
    parts = [
        f"# ztls benchmark, {settings.date}, {settings.revision}",
        "",
        "Client pod on node2, server pod on node1 (iperf3, httpbin, a greeter that accepts "
        "and closes, a sink that holds connections). Ratios in parentheses are against "
        f"direct; the last column is {SUBJECT} divided by {RIVAL}. CPU and RSS are the sum "
        "of both processes on the path (the two agents, or a proxy pair's two sides).",
        "",
        "## Data paths",
        "",
        *(f"- **{m.key}**: {m.description}" for m in modes),
        "",
        "## Results",
        "",
        results_table(results, modes, settings),
        "",
        "## Targets",
        "",
        *target_lines(results),
        "",
        "## Machine",
        "",
        *machine_lines(settings),
    ]
    if notes:
        parts += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(parts) + "\n"
