"""Crafted run logs with known answers, written the way the worker writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def start_line(
    partitions: int = 2, batch_size: int = 100, batch_wait_ms: float = 200, t0: float = 1000.0
) -> dict[str, Any]:
    return {
        "type": "start",
        "version": 1,
        "time": t0,
        "pipeline": "shop",
        "group": "stream-engine.shop.v1",
        "runtime": "kafka",
        "batch_size": batch_size,
        "batch_wait_ms": batch_wait_ms,
        "interval_s": 10.0,
        "sources": {"events": {"topic": "ev", "partitions": partitions}},
    }


def interval(
    t: float,
    records: dict[int, int],
    steps: dict[str, float],
    batches: int,
    wait_s: float,
    processing_s: float,
    rss: float,
    lag: list[tuple[int, int, int]] | None = None,  # (partition, committed, high watermark)
    dead: int = 0,
) -> dict[str, Any]:
    total = sum(records.values())
    return {
        "type": "interval",
        "time": t,
        "interval_s": 10.0,
        "sources": {
            "events": {
                "records_in": total,
                "records_out": total - dead,
                "passed": total - dead,
                "filtered": 0,
                "dropped": 0,
                "dead": dead,
                "batches": batches,
                "broker_wait_s": wait_s,
                "processing_s": processing_s,
            }
        },
        "steps": steps,
        "partitions": [
            {"source": "events", "partition": p, "records_in": n} for p, n in records.items()
        ],
        "memory": {"rss_bytes": rss, "peak_rss_bytes": rss},
        "lag": None
        if lag is None
        else {
            "time": t,
            "status": "WARN",
            "partitions": [
                {
                    "topic": "ev",
                    "partition": p,
                    "committed": c,
                    "high_watermark": h,
                    "lag_messages": h - c,
                    "lag_seconds": None,
                    "status": "WARN",
                }
                for p, c, h in lag
            ],
        },
    }


def falling_behind() -> list[dict[str, Any]]:
    """Commit-bound, full batches, lag growing, input beyond what 2 partitions allow."""
    lines = [start_line()]
    rss = [100e6, 120e6, 150e6, 130e6]
    for k in range(1, 5):
        lines.append(
            interval(
                1000.0 + 10 * k,
                {0: 750, 1: 250},
                {"decode": 1.0, "filter": 0.5, "sink": 0.5, "commit": 6.0},
                batches=10,
                wait_s=2.0,
                processing_s=8.0,
                rss=rss[k - 1],
                lag=[(0, 750 * k, 2250 * k), (1, 250 * k, 750 * k)],
            )
        )
    lines.append({"type": "stop", "time": 1041.0})
    return lines


def catching_up() -> list[dict[str, Any]]:
    """Small batches cut by batch_wait, commit-bound, lag shrinking to zero."""
    lines = [start_line(partitions=4, batch_size=500, batch_wait_ms=50)]
    lags = [(1000, 4000), (3000, 4400), (4400, 4400)]  # (committed, high) on partition 0
    for k, (c, h) in enumerate(lags, 1):
        lines.append(
            interval(
                1000.0 + 10 * k,
                {0: 500, 1: 500, 2: 500, 3: 500},
                {"decode": 0.4, "map": 0.2, "commit": 1.4},
                batches=40,
                wait_s=1.0,
                processing_s=2.0,
                rss=80e6,
                lag=[(0, c, h), (1, 100, 100), (2, 100, 100), (3, 100, 100)],
            )
        )
    return lines


def decode_bound_without_lag() -> list[dict[str, Any]]:
    lines = [start_line(partitions=8)]
    for k in range(1, 3):
        lines.append(
            interval(
                1000.0 + 10 * k,
                {p: 100 for p in range(8)},
                {"decode": 3.0, "enrich": 1.0, "commit": 0.5},
                batches=8,
                wait_s=5.0,
                processing_s=4.5,
                rss=60e6,
            )
        )
    return lines


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path
