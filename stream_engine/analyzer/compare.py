"""Before/after: the same measures of two runs (or two task logs) with percentage changes."""

from __future__ import annotations

from dataclasses import dataclass

from stream_engine.analyzer.run_report import RunReport
from stream_engine.analyzer.task_report import TaskReport
from stream_engine.errors import ConfigError


@dataclass(frozen=True)
class Row:
    measure: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        """Percentage change; None when either side is missing or before is zero."""
        if self.before is None or self.after is None or self.before == 0:
            return None
        return (self.after - self.before) / abs(self.before) * 100


def compare(before: RunReport | TaskReport, after: RunReport | TaskReport) -> list[Row]:
    if isinstance(before, RunReport) and isinstance(after, RunReport):
        return _runs(before, after)
    if isinstance(before, TaskReport) and isinstance(after, TaskReport):
        return _tasks(before, after)
    raise ConfigError("compare needs two run logs or two task logs, not one of each")


def _runs(b: RunReport, a: RunReport) -> list[Row]:
    def per_1k(r: RunReport, seconds: float) -> float | None:
        return seconds / r.records_in * 1e6 if r.records_in else None

    def step(r: RunReport, name: str) -> float:
        return next((s.seconds for s in r.steps if s.step == name), 0.0)

    def lag_end(r: RunReport) -> float | None:
        return None if r.lag is None else float(r.lag.last)

    def wait(r: RunReport) -> float | None:
        return None if r.wait_share is None else r.wait_share * 100

    rows = [
        Row("runtime (s)", b.runtime_s, a.runtime_s),
        Row("records in", b.records_in, a.records_in),
        Row("throughput (rec/s)", b.throughput, a.throughput),
        Row("per-worker rate (rec/s)", b.capacity.per_worker_rate, a.capacity.per_worker_rate),
        Row("processing (ms / 1k rec)", per_1k(b, b.processing_s), per_1k(a, a.processing_s)),
        Row("broker wait (% of time)", wait(b), wait(a)),
        Row("mean batch size", b.mean_batch_size, a.mean_batch_size),
    ]
    names = [s.step for s in b.steps] + [
        s.step for s in a.steps if s.step not in {x.step for x in b.steps}
    ]
    rows += [
        Row(f"step {n} (ms / 1k rec)", per_1k(b, step(b, n)), per_1k(a, step(a, n))) for n in names
    ]
    rows += [
        Row("memory peak (MB)", b.memory_peak_bytes / 1e6, a.memory_peak_bytes / 1e6),
        Row("lag at end (messages)", lag_end(b), lag_end(a)),
        Row("dead letters", b.dead, a.dead),
    ]
    return rows


def _tasks(b: TaskReport, a: TaskReport) -> list[Row]:
    def mb(r: TaskReport) -> float | None:
        return None if r.memory_peak_bytes is None else r.memory_peak_bytes / 1e6

    rows = [
        Row("wall time (s)", b.wall_s, a.wall_s),
        Row("summed task time (s)", b.task_time_s, a.task_time_s),
        Row("critical path (s)", b.critical_path_s, a.critical_path_s),
        Row("memory peak (MB)", mb(b), mb(a)),
    ]
    before = {name: end - start for name, start, end in b.timeline}
    after = {name: end - start for name, start, end in a.timeline}
    names = list(before) + [n for n in after if n not in before]
    rows += [Row(f"task {n} (s)", before.get(n), after.get(n)) for n in names]
    return rows


def compare_text(rows: list[Row], before: str, after: str) -> str:
    def fmt(v: float | None) -> str:
        if v is None:
            return "-"
        if float(v).is_integer():
            return f"{v:,.0f}"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.3g}" if abs(v) < 1 else f"{v:,.2f}"

    def change(row: Row) -> str:
        c = row.change
        if c is None:
            return "-" if row.before is None or row.after is None else "n/a"
        return f"{c:+.1f}%"

    lines = [
        f"before: {before}"[:80],
        f"after:  {after}"[:80],
        "",
        f"{'measure':<34}{'before':>14}{'after':>14}{'change':>12}",
        "-" * 74,
    ]
    lines += [
        f"{r.measure[:33]:<34}{fmt(r.before):>14}{fmt(r.after):>14}{change(r):>12}" for r in rows
    ]
    return "\n".join(lines) + "\n"
