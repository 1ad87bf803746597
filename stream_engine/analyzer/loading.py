"""Read a run log (JSONL from `worker --run-log`) or a task log (JSON list), telling which.

Every problem is one line naming the file and, for a run log, the line number.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stream_engine.errors import ConfigError
from stream_engine.monitor.run_log_format import IntervalLine, StartLine


@dataclass(frozen=True)
class RunLog:
    path: Path
    start: StartLine
    intervals: list[IntervalLine]
    stopped: float | None  # time of the stop line, None when the worker did not stop cleanly


class Task(BaseModel):
    """One task of a batch run, as ETL schedulers log them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1)
    start: float  # epoch seconds (ISO-8601 strings are converted)
    end: float
    peak_memory: float | None = Field(None, ge=0)  # bytes ("512MB" strings are converted)
    rows: int | None = Field(None, ge=0)
    depends_on: list[str] = []

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).timestamp()
            except ValueError:
                raise ValueError(f"not an ISO-8601 time: {value!r}") from None
        return value

    @field_validator("peak_memory", mode="before")
    @classmethod
    def _memory(cls, value: Any) -> Any:
        return parse_bytes(value) if isinstance(value, str) else value

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class TaskLog:
    path: Path
    tasks: list[Task]


_UNITS = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
_UNITS.update({"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40})


def parse_bytes(text: str) -> float:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?I?B?)\s*", text.upper())
    if m is None or m.group(2) not in _UNITS:
        raise ValueError(f"not a memory size: {text!r} (e.g. 512MB, 1.5GiB, or bytes)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def load_input(path: Path) -> RunLog | TaskLog:
    """Detect the kind of file and load it; ConfigError (one line) when it is neither."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if not text.strip():
        raise ConfigError(f"{path} is empty")
    try:
        whole: Any = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict) and isinstance(whole.get("tasks"), list):
        whole = whole["tasks"]
    if isinstance(whole, list):
        return _task_log(path, whole)
    first = text.lstrip().split("\n", 1)[0]
    try:
        head = json.loads(first)
    except ValueError:
        head = None
    if isinstance(head, dict) and head.get("type") == "start":
        return _run_log(path, text)
    raise ConfigError(
        f"{path} is neither a run log (JSONL from `worker --run-log`, starting with a "
        "start line) nor a task log (a JSON list of tasks)"
    )


def _run_log(path: Path, text: str) -> RunLog:
    start: StartLine | None = None
    intervals: list[IntervalLine] = []
    stopped = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "start":
                if start is not None:  # a restarted worker appending: keep the latest run
                    intervals, stopped = [], None
                start = StartLine.model_validate(data)
            elif kind == "interval":
                intervals.append(IntervalLine.model_validate(data))
            elif kind == "stop":
                stopped = float(data["time"])
            else:
                raise ValueError(f"unknown line type {kind!r}")
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"{path}:{number}: {where}: {err['msg']}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a run-log line ({exc})") from None
    assert start is not None
    if not intervals:
        raise ConfigError(f"{path}: the run log has no interval lines yet")
    return RunLog(path, start, intervals, stopped)


def _task_log(path: Path, items: list[Any]) -> TaskLog:
    if not items:
        raise ConfigError(f"{path}: the task log has no tasks")
    tasks: list[Task] = []
    for i, item in enumerate(items):
        try:
            tasks.append(Task.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            name = item.get("name") if isinstance(item, dict) else None
            where = ".".join(str(p) for p in err["loc"]) or "task"
            label = f"task {name!r}" if name else f"task #{i + 1}"
            raise ConfigError(f"{path}: {label}: {where}: {err['msg']}") from None
    names = [t.name for t in tasks]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: duplicate task names: {', '.join(dupes)}")
    known = set(names)
    for t in tasks:
        if t.end < t.start:
            raise ConfigError(f"{path}: task {t.name!r} ends before it starts")
        missing = [d for d in t.depends_on if d not in known]
        if missing:
            raise ConfigError(f"{path}: task {t.name!r} depends on unknown {', '.join(missing)}")
    return TaskLog(path, tasks)
