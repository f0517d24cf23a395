"""The results as a PNG: three panels of grouped bars, one group per measure, one bar per
data path. Speeds and latency are relative to direct (the line at 1); costs, which
direct does not have, are relative to ztls. Each bar carries its ratio."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from report import ROWS  # noqa: E402

PANELS = [
    ("Speed vs direct (higher is better)", "direct",
     ["iperf1_gbps", "iperf4_gbps", "conn_rate", "rps"]),
    ("Latency vs direct (lower is better)", "direct", ["p50_ms", "p99_ms"]),
    ("Cost vs ztls (lower is better)", "ztls",
     ["iperf1_cpu_per_gib", "iperf4_cpu_per_gib", "cpu_per_1k_req", "rss_idle", "rss_held"]),
]
# Tick labels: a short name, and the baseline's own value as "{base}" for scale.
SHORT_LABELS = {
    "iperf1_gbps": "iperf3 1 stream\n{base:.1f} Gbit/s",
    "iperf4_gbps": "iperf3 4 streams\n{base:.1f} Gbit/s",
    "conn_rate": "new conn/s\n{base:.0f}/s",
    "rps": "HTTP req/s\n{base:.0f}/s",
    "p50_ms": "HTTP p50\n{base:.2f} ms",
    "p99_ms": "HTTP p99\n{base:.2f} ms",
    "iperf1_cpu_per_gib": "CPU per GiB\n1 stream\n{base:.2f} s",
    "iperf4_cpu_per_gib": "CPU per GiB\n4 streams\n{base:.2f} s",
    "cpu_per_1k_req": "CPU per\n1000 req\n{base:.3f} s",
    "rss_idle": "RSS\nidle\n{base:.1f} MiB",
    "rss_held": "RSS, {held}\nconns held\n{base:.1f} MiB",
}
COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]


def draw_panel(axis, title, baseline, keys, results, modes, colors, held):
    shown = [m for m in modes if m.key != "direct"]  # direct is the line at 1, or absent
    width = 0.8 / len(shown)
    for i, mode in enumerate(shown):
        for j, key in enumerate(keys):
            value, base = results[mode.key].get(key), results[baseline].get(key)
            if value is None or not base:
                continue
            x = j + (i - (len(shown) - 1) / 2) * width
            bar = axis.bar(x, value / base, width, color=colors[mode.key])
            axis.bar_label(bar, [f"{value / base:.2f}"], fontsize=7, padding=1)
    axis.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    labels = [SHORT_LABELS[k].format(held=held, base=results[baseline].get(k) or 0) for k in keys]
    axis.set_xticks(range(len(keys)), labels, fontsize=8)
    axis.set_title(f"{title}\n(under each group: {baseline}'s value)", fontsize=10)
    axis.set_ylabel(f"× {baseline}", fontsize=9)
    axis.margins(y=0.12)


def draw(results, modes, settings, path):
    colors = {m.key: COLORS[i % len(COLORS)] for i, m in enumerate(modes)}  # direct's unused
    figure, axes = plt.subplots(1, len(PANELS), figsize=(15, 6),
                                gridspec_kw={"width_ratios": [len(p[2]) + 1 for p in PANELS]})
    for axis, (title, baseline, keys) in zip(axes, PANELS):
        measured = [k for k in keys if any(results[m.key].get(k) is not None for m in modes)]
        draw_panel(axis, title, baseline, measured, results, modes, colors, settings.held)
    shown = [m for m in modes if m.key != "direct"]
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[m.key]) for m in shown]
    handles.append(plt.Line2D([], [], color="black", linewidth=0.8, linestyle="--"))
    figure.legend(handles, [m.key for m in shown] + ["baseline (1.0)"], loc="upper center",
                  bbox_to_anchor=(0.5, 0.935), ncol=len(handles), frameon=False)
    figure.suptitle(f"ztls against direct, haproxy and stunnel: {settings.date} "
                    f"{settings.revision}, {settings.seconds}s runs, {settings.cores} cores",
                    y=0.99, fontsize=12)
    figure.tight_layout(rect=(0, 0, 1, 0.9))
    figure.savefig(path, dpi=110)
    plt.close(figure)


assert all(key in {row.key for row in ROWS} for _, _, keys in PANELS for key in keys)
