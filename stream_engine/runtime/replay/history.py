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


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "job": str,
    "pipeline": str,
    "scheduled_at": str,
    "started_at": str,
    "status": str,
    "attempts": int,
    "duration_s": (int, float),
    "range_from": str,
    "range_to": str,
    "run_id": str,
    "records_read": int,
    "emitted": dict,
    "dead_letters": dict,
    "error": (str, type(None)),
}


def _parse_run(line: bytes) -> JobRun | None:
    """The run of one history line, or None when the line is damaged or mistyped."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not set(data) <= set(_FIELD_TYPES):
        return None
    if any(not isinstance(data[k], t) for k, t in _FIELD_TYPES.items() if k in data):
        return None
    try:
        return JobRun(**data)
    except TypeError:  # a required field is missing
        return None


class History:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / HISTORY_FILE
        self.damaged = 0
        """Lines the last read() skipped (damaged or mistyped), for the caller to report."""

    def append(self, run: JobRun) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(orjson.dumps(run.to_json(), option=orjson.OPT_APPEND_NEWLINE))
        except OSError as exc:
            raise ConfigError(f"cannot write the run history {self.path}: {exc.strerror}") from None

    def read(self, job: str | None = None) -> list[JobRun]:
        """Runs in the order they finished; a damaged line is skipped and counted, not fatal."""
        self.damaged = 0
        if not self.path.exists():
            return []
        try:
            lines = self.path.read_bytes().splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the run history {self.path}: {exc.strerror}") from None
        runs = []
        for line in lines:
            run = _parse_run(line)
            if run is None:
                self.damaged += bool(line.strip())
                continue
            if job is None or run.job == job:
                runs.append(run)
        return runs
