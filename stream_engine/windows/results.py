"""What goes into the operator and what comes out: inputs, window results, call outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_ms(ms: int) -> str | None:
    """UTC ISO-8601 with milliseconds and Z; None outside years 1..9999."""
    try:
        moment = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class WindowInput:
    """One decoded record of a partition: source offset, event time (ms), window key, value.

    ``ref`` is the caller's raw record, handed back untouched for late and failed ones.
    """

    offset: int
    ts: int
    key: str
    value: dict[str, Any]
    ref: Any = None


@dataclass(slots=True)
class WindowResult:
    """One emission of a window; ``end`` is exclusive for every kind."""

    key: str
    start: int
    end: int
    fields: dict[str, Any]
    count: int
    seq: int
    final: bool
    tombstone: bool = False

    def record(self) -> dict[str, Any]:
        """The result value (JSON). A tombstone is sent as a null value instead."""
        out: dict[str, Any] = {
            "key": self.key,
            "window_start": self.start,
            "window_end": self.end,
            "window_start_iso": iso_ms(self.start),
            "window_end_iso": iso_ms(self.end),
            **self.fields,
            "count": self.count,
        }
        if not self.final:
            out["seq"] = self.seq
        return out

    def kafka_key(self) -> bytes:
        """Deterministic per window, so a re-emission overwrites in a compacted topic."""
        return f"{self.key}|{self.start}".encode()


@dataclass(slots=True)
class WindowOutput:
    """Everything one operator call produced.

    Every non-replayed input is exactly one of: applied, late, or in errors.
    ``changelog`` must be written in list order (``wm`` comes last) after ``results`` and
    the dead letters of the same call are acknowledged; see docs/windows.md.
    """

    results: list[WindowResult] = field(default_factory=list)
    late: list[tuple[WindowInput, str]] = field(default_factory=list)
    partly_late: int = 0
    errors: list[tuple[WindowInput, str]] = field(default_factory=list)
    changelog: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    applied: int = 0
    replayed: int = 0
