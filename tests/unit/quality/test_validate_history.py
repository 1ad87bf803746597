"""The offline history store: runs and metrics in SQLite, read back in order."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from stream_engine.errors import ConfigError, DataSourceError
from stream_engine.quality.history import SCHEMA_VERSION, HistoryStore, Point, RunRecord


def run(table: str, at: int, count: int, **metrics: float | None) -> RunRecord:
    return RunRecord(table, "data.csv", at, count, count / 100, 2, 1, 0, metrics)


def test_runs_and_series_come_back_oldest_first_per_table(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "sub" / "h.sqlite")
    ids = [
        store.append(run("orders", 3000, 30, rows=30.0, **{"range.amount": 0.9})),
        store.append(run("orders", 1000, 10, rows=10.0)),
        store.append(run("users", 2000, 99, rows=99.0)),
        store.append(run("orders", 2000, 20, rows=20.0, **{"range.amount": 0.5})),
    ]
    assert ids == [1, 2, 3, 4]
    assert store.series("orders", "rows") == [
        Point(1000, 10.0),
        Point(2000, 20.0),
        Point(3000, 30.0),
    ]
    assert store.series("orders", "rows", limit=2) == [Point(2000, 20.0), Point(3000, 30.0)]
    assert store.series("orders", "range.amount") == [Point(2000, 0.5), Point(3000, 0.9)]
    assert store.series("orders", "nothing") == []
    runs = store.runs("orders")
    assert [(r.id, r.rows, r.run_at_ms) for r in runs] == [
        (2, 10, 1000),
        (4, 20, 2000),
        (1, 30, 3000),
    ]
    assert runs[2].metrics == {"rows": 30.0, "range.amount": 0.9}
    assert [r.id for r in store.runs("orders", limit=1)] == [1]
    assert store.run_series("orders", "rows") == [Point(1000, 10), Point(2000, 20), Point(3000, 30)]
    assert store.run_series("orders", "score", limit=2) == [Point(2000, 0.2), Point(3000, 0.3)]


def test_non_finite_values_are_stored_as_null(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    store.append(run("t", 1, 1, z=math.inf, n=math.nan, none=None, flag=True))
    assert store.runs("t")[0].metrics == {"z": None, "n": None, "none": None, "flag": 1.0}


def test_a_newer_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(
        DataSourceError, match=r"layout version 2; this stream-engine knows up to 1"
    ):
        HistoryStore(path).series("t", "rows")


def test_unusable_paths_are_one_line_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"cannot open the history store .*file/h.sqlite"):
        HistoryStore(blocker / "h.sqlite").series("t", "rows")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DataSourceError, match=r"history store .*garbage.sqlite: file is not a"):
        HistoryStore(garbage).series("t", "rows")
