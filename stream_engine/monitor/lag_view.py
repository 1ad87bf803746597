"""How a GroupLag reads: a rich table, a one-line summary, a JSON document."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from stream_engine.monitor.lag import GroupLag, PartitionLag

_STYLE = {"OK": "green", "WARN": "yellow", "REWIND": "magenta", "STALL": "red", "STOP": "red"}


def lag_table(lag: GroupLag, pipeline: str | None = None) -> Table:
    title = f"group {lag.group}" + (f" (pipeline {pipeline})" if pipeline else "")
    table = Table(title=title, caption=summary(lag), caption_justify="left")
    for name in (
        "topic",
        "part",
        "committed",
        "end",
        "lag",
        "lag s",
        "in/s",
        "read/s",
    ):
        table.add_column(name, justify="left" if name == "topic" else "right")
    table.add_column("status")
    for row in lag.partitions:
        status = row.status.value if row.status else "-"
        table.add_row(
            row.topic,
            str(row.partition),
            "no commit" if row.committed is None else str(row.committed),
            str(row.high_watermark),
            "-" if row.lag_messages is None else str(row.lag_messages),
            _seconds(row),
            _rate(row.produce_rate),
            _rate(row.consume_rate),
            f"[{_STYLE.get(status, 'white')}]{status}[/]",
        )
    return table


def summary(lag: GroupLag) -> str:
    seconds = lag.max_lag_seconds
    known = "unknown" if seconds is None else f"{seconds:.1f}s"
    state = "" if lag.evaluated else f" (warming up: status needs {lag.window_s:.0f}s of history)"
    return (
        f"group {lag.group}: {lag.status.value}, lag {lag.total_lag} messages, "
        f"max lag {known}, {len(lag.partitions)} partitions{state}"
    )


def as_json(lag: GroupLag, pipeline: str) -> dict[str, Any]:
    return {
        "pipeline": pipeline,
        "group": lag.group,
        "time": lag.time,
        "status": lag.status.value,
        "evaluated": lag.evaluated,
        "window_s": lag.window_s,
        "total_lag_messages": lag.total_lag,
        "partitions": [
            {
                "topic": p.topic,
                "partition": p.partition,
                "committed": p.committed,
                "high_watermark": p.high_watermark,
                "lag_messages": p.lag_messages,
                "lag_seconds": p.lag_seconds,
                "consume_rate": p.consume_rate,
                "produce_rate": p.produce_rate,
                "status": p.status.value if p.status else None,
            }
            for p in lag.partitions
        ],
    }


def _seconds(row: PartitionLag) -> str:
    if row.committed is None:
        return "-"
    return "unknown" if row.lag_seconds is None else f"{row.lag_seconds:.1f}"


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1f}"
