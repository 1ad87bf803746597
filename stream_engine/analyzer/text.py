"""Plain-text reports that fit 80 columns (terminals, CI logs, emails)."""

from __future__ import annotations

import textwrap

from stream_engine.analyzer.run_report import RunReport
from stream_engine.analyzer.task_report import TaskReport

WIDTH = 80
_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 60) -> str:
    """Values resampled to at most `width` buckets (bucket means), one block each."""
    if not values:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [
            sum(chunk) / len(chunk)
            for chunk in (values[int(i * step) : int((i + 1) * step)] for i in range(width))
            if chunk
        ]
    top = max(values)
    if top <= 0:
        return _BARS[0] * len(values)
    return "".join(_BARS[min(7, int(v / top * 7.999))] for v in values)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, s = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{s:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def megabytes(value: float | None) -> str:
    return "unknown" if value is None else f"{value / 1e6:,.1f} MB"


def _wrap(text: str, indent: str = "    ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def _row(label: str, value: str) -> str:
    return f"  {label:<26}{value}"[:WIDTH]


def run_text(r: RunReport) -> str:
    out = [f"Run report: pipeline {r.pipeline} ({r.runtime} runtime)"[:WIDTH], ""]
    out += [
        _row("runtime", f"{duration(r.runtime_s)} over {r.intervals} intervals"),
        _row("records in / out / dead", f"{r.records_in:,} / {r.records_out:,} / {r.dead:,}"),
        _row("throughput", f"{r.throughput:,.1f} rec/s (peak {r.peak_throughput:,.1f})"),
        "  " + sparkline([v for _, v in r.throughput_series], WIDTH - 4),
    ]
    wait = r.wait_share
    out += [
        _row(
            "broker wait / processing",
            f"{r.broker_wait_s:.2f}s / {r.processing_s:.2f}s"
            + ("" if wait is None else f" ({wait:.0%} waiting)"),
        ),
        _row(
            "batches",
            f"{r.batches:,}, mean {r.mean_batch_size or 0:,.1f} records (max {r.batch_size})",
        ),
        _row(
            "memory",
            f"peak {megabytes(r.memory_peak_bytes)} "
            f"(first {megabytes(r.memory_first_bytes)}, last {megabytes(r.memory_last_bytes)})",
        ),
        "",
        "Steps (share of step time)",
    ]
    for s in r.steps:
        bar = "#" * round(s.share * 30)
        mark = "  <- bottleneck" if s.step == r.bottleneck else ""
        out.append(f"  {s.step[:16]:<16} {s.seconds:9.3f}s {s.share:6.1%} {bar}{mark}"[:WIDTH])
    if not r.steps:
        out.append("  (no step timings)")
    out += ["", "Lag"]
    if r.lag is None:
        out.append("  no lag samples in the log")
    else:
        lag = r.lag
        out += [
            _row("messages first / last", f"{lag.first:,} / {lag.last:,} (peak {lag.peak:,})"),
            _row("trend", f"{lag.slope:+,.1f} msg/s"),
            _row("max lag in seconds (last)", duration(lag.max_lag_seconds)),
            _row(
                "current rates",
                "unknown"
                if lag.consume_rate is None or lag.produce_rate is None
                else f"consume {lag.consume_rate:,.1f} / produce {lag.produce_rate:,.1f} msg/s",
            ),
            _row(
                "time to catch up",
                "caught up"
                if lag.catch_up_s == 0
                else duration(lag.catch_up_s)
                if lag.catch_up_s is not None
                else "never at current rates",
            ),
            "  " + sparkline([float(v) for _, v in lag.series], WIDTH - 4),
        ]
    out += ["", "Partitions (records in, last lag)"]
    for p in r.partitions[:16]:
        lag_text = "-" if p.lag is None else f"{p.lag:,}"
        out.append(
            f"  {p.source[:20]}[{p.partition}]".ljust(28) + f"{p.records_in:>12,}  {lag_text}"
        )
    if len(r.partitions) > 16:
        out.append(f"  ... {len(r.partitions) - 16} more")
    if r.skew is not None:
        out.append(_row("skew (max / mean)", f"{r.skew:.2f}"))
    out += ["", "Recommendations"]
    for i, rec in enumerate(r.recommendations, 1):
        out += _wrap(f"{i}. {rec.title}", "  ")
        out += _wrap(rec.reasoning, "     ")
    if not r.recommendations:
        out.append("  none")
    return "\n".join(line.rstrip()[:WIDTH] for line in out) + "\n"


def task_text(r: TaskReport) -> str:
    out = [f"Task report: {r.tasks} tasks", ""]
    out += [
        _row("wall time", duration(r.wall_s)),
        _row("summed task time", duration(r.task_time_s)),
        _row("critical path", f"{duration(r.critical_path_s)} ({len(r.critical_path)} tasks)"),
        _row("parallelism could save", duration(r.saving_s)),
        _row("memory peak", megabytes(r.memory_peak_bytes)),
        "",
        "Slowest tasks (share of summed task time)",
    ]
    for t in r.slowest:
        rate = "" if t.rows_per_s is None else f"  {t.rows_per_s:,.0f} rows/s"
        out.append(f"  {t.name[:30]:<30} {duration(t.duration_s):>9} {t.share:6.1%}{rate}")
    out += ["", "Critical path"]
    out += _wrap(" -> ".join(r.critical_path), "  ")
    out += ["", "Memory spikes (>= 2x the median peak)"]
    for spike in r.memory_spikes:
        out.append(f"  {spike.name[:30]:<30} {megabytes(spike.peak_bytes):>12} {spike.ratio:5.1f}x")
    if not r.memory_spikes:
        out.append("  none")
    out += ["", "Ran in sequence, could have run in parallel"]
    for s in r.sequenced:
        out += _wrap(
            f"{s.name}: ready at {duration(s.ready_s)}, started at {duration(s.started_s)} "
            f"(waited {duration(s.waited_s)}) while {', '.join(s.ran_meanwhile)} ran",
            "  ",
        )
    if not r.sequenced:
        out.append("  none")
    return "\n".join(line.rstrip()[:WIDTH] for line in out) + "\n"
