"""The offline history: every `validate` run's metrics, kept in a local SQLite file.

Anomaly checks compare a metric with its values in earlier runs of the same rules table,
and the HTML report draws each metric over time. Runs are keyed by the rules table name,
not by the source, so a daily file (`orders-2024-05-01.parquet`, ...) builds one history.
The file is plain SQLite (stdlib `sqlite3`), so users can query it themselves; its layout
is documented in docs/validate.md and versioned with `PRAGMA user_version`.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from stream_engine.errors import ConfigError, DataSourceError

SCHEMA_VERSION = 1
FILE_NAME = "quality-history.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    source TEXT NOT NULL,
    run_at_ms INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    score REAL NOT NULL,
    checks INTEGER NOT NULL,
    failed_errors INTEGER NOT NULL,
    failed_warnings INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_table ON runs (table_name, run_at_ms);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (run_id, name)
);
"""


def default_path() -> Path:
    """`$XDG_DATA_HOME/stream-engine/quality-history.sqlite` (`~/.local/share/...`)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stream-engine" / FILE_NAME


@dataclass(frozen=True)
class RunRecord:
    """One validate run of one rules table, with each rule's numeric observed value."""

    table: str
    source: str
    run_at_ms: int
    rows: int
    score: float
    checks: int
    failed_errors: int
    failed_warnings: int
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True)
class Point:
    run_at_ms: int
    value: float | None


class HistoryStore:
    """Append runs, read a metric's past values. Opened per command; cheap to open."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the history store {self.path}: {exc}") from None
        try:
            with closing(conn), conn:
                conn.execute("PRAGMA foreign_keys = ON")
                self._migrate(conn)
                yield conn
        except sqlite3.DatabaseError as exc:
            raise DataSourceError(f"history store {self.path}: {exc}") from None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise DataSourceError(
                f"history store {self.path} has layout version {version}; this stream-engine "
                f"knows up to {SCHEMA_VERSION} (upgrade stream-engine or use another --history)"
            )
        if version < SCHEMA_VERSION:
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def append(self, run: RunRecord) -> int:
        """Store the run and its metrics; returns the run's id."""
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO runs (table_name, source, run_at_ms, rows, score, checks, "
                "failed_errors, failed_warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run.table, run.source, run.run_at_ms, run.rows, run.score, run.checks,
                 run.failed_errors, run.failed_warnings),
            )  # fmt: skip
            run_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO metrics (run_id, name, value) VALUES (?, ?, ?)",
                [(run_id, name, _finite(value)) for name, value in sorted(run.metrics.items())],
            )
            return run_id

    def runs(self, table: str, limit: int | None = None) -> list[RunRecord]:
        """The table's runs, oldest first; with `limit`, only the latest `limit` of them."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, table_name, source, run_at_ms, rows, score, checks, failed_errors, "
                "failed_warnings FROM runs WHERE table_name = ? ORDER BY run_at_ms DESC, id DESC"
                + ("" if limit is None else " LIMIT ?"),
                (table,) if limit is None else (table, limit),
            ).fetchall()
            runs = []
            for row in reversed(rows):
                metrics = dict(
                    conn.execute("SELECT name, value FROM metrics WHERE run_id = ?", (row[0],))
                )
                table_name, source, run_at_ms, count, score, checks, errors, warnings = row[1:]
                runs.append(
                    RunRecord(
                        table_name,
                        source,
                        run_at_ms,
                        count,
                        score,
                        checks,
                        errors,
                        warnings,
                        metrics=metrics,
                        id=row[0],
                    )
                )
            return runs

    def run_series(
        self, table: str, column: Literal["rows", "score"], limit: int | None = None
    ) -> list[Point]:
        """The table's row count or quality score per run, oldest first."""
        return [
            Point(r.run_at_ms, float(r.rows if column == "rows" else r.score))
            for r in self.runs(table, limit)
        ]

    def series(self, table: str, name: str, limit: int | None = None) -> list[Point]:
        """A metric's values in the table's runs, oldest first (the latest `limit` runs)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT r.run_at_ms, m.value FROM runs r JOIN metrics m ON m.run_id = r.id "
                "WHERE r.table_name = ? AND m.name = ? ORDER BY r.run_at_ms DESC, r.id DESC"
                + ("" if limit is None else " LIMIT ?"),
                (table, name) if limit is None else (table, name, limit),
            ).fetchall()
        return [Point(int(t), None if v is None else float(v)) for t, v in reversed(rows)]


def _finite(value: float | None) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    number = float(value)
    return number if math.isfinite(number) else None
