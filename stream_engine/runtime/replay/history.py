"""The scheduler's run history: one JSON line per finished job run, append-only.

JSONL in a directory of the user's choosing (`--history-dir`), so it survives restarts,
can be read with any tool, and appends never rewrite earlier runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stream_engine.errors import ConfigError

HISTORY_FILE = "history.jsonl"


@dataclass
class JobRun:
    """One scheduled run of a job, after all its attempts."""

    job: str
    pipeline: str
    scheduled_at: str  # ISO-8601 UTC: the cron time the range is relative to
    started_at: str
    status: str  # ok | failed | timeout
    attempts: int
    duration_s: float
    range_from: str
    range_to: str
    run_id: str
    records_read: int = 0
    emitted: dict[str, int] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class History:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / HISTORY_FILE

    def append(self, run: JobRun) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(orjson.dumps(run.to_json(), option=orjson.OPT_APPEND_NEWLINE))
        except OSError as exc:
            raise ConfigError(f"cannot write the run history {self.path}: {exc.strerror}") from None

    def read(self, job: str | None = None) -> list[JobRun]:
        """Runs in the order they finished; a damaged line is skipped, not fatal."""
        if not self.path.exists():
            return []
        runs = []
        for line in self.path.read_bytes().splitlines():
            try:
                run = JobRun(**orjson.loads(line))
            except (orjson.JSONDecodeError, TypeError):
                continue
            if job is None or run.job == job:
                runs.append(run)
        return runs
