"""The contract every non-Kafka sink and source follows (DESIGN.md section 9).

A sink takes rows with `add`, and makes them durable with `flush`: only after `flush`
returns may the runtime commit the Kafka offsets the rows came from. A sink whose system
cannot take writes now (database down, disk full) raises `SinkUnavailableError`, the typed
backpressure signal: the runtime retries with backoff, then stops without committing.
Rows a sink refuses on their own (a fact whose dimension member is missing) come back from
`flush` as rejections, which the runtime turns into dead letters.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from stream_engine.errors import StreamEngineError


class SinkError(StreamEngineError):
    """A sink failed; the message names the sink's system and table, never a password."""


class SinkUnavailableError(SinkError):
    """The sink's system cannot take writes now; retry later, never commit past it."""


class SinkSchemaError(SinkError):
    """Records do not fit the sink's table (a type change, a NOT NULL column missing)."""


class SourceUnavailableError(StreamEngineError):
    """The source system cannot be read now (a transient error, worth retrying)."""


@dataclass(frozen=True, slots=True)
class SinkRow:
    """One record for a sink: its fields, its event time (ms) and what it came from."""

    values: dict[str, Any]
    timestamp_ms: int
    origin: Any = None  # the consumed Record, dead-lettered if the sink rejects the row


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row the sink refused on its own; `reason` is a dead-letter reason code."""

    row: SinkRow
    reason: str
    message: str


class Sink(ABC):
    """add(rows) buffers; flush() writes them durably and returns the rows refused."""

    name: str

    @abstractmethod
    def add(self, rows: Sequence[SinkRow]) -> None: ...

    @abstractmethod
    def flush(self) -> list[Rejection]:
        """Write everything added since the last flush; raise SinkUnavailableError if down."""

    @abstractmethod
    def reset(self) -> None:
        """Forget what was added but not flushed (before a retry adds it again)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; a closed sink may not be used again."""


class BufferedSink(Sink):
    """A sink that holds added rows in memory until `flush` takes them all at once."""

    def __init__(self) -> None:
        self._rows: list[SinkRow] = []

    def add(self, rows: Sequence[SinkRow]) -> None:
        self._rows.extend(rows)

    def reset(self) -> None:
        self._rows = []

    def _take(self) -> list[SinkRow]:
        """The rows added since the last flush; the buffer starts empty again."""
        rows, self._rows = self._rows, []
        return rows


class Source(ABC):
    """A bounded read of an external system in pages; `commit` persists the position."""

    name: str

    @abstractmethod
    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Rows not read before, in pages, in the source's cursor order."""

    @abstractmethod
    def commit(self) -> None:
        """Persist the position after the last page returned (call once it is delivered)."""


_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]+:)([^@\s]*)(@)")
_PASSWORD_PARAM = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def mask_dsn(text: str) -> str:
    """Hide passwords of DSNs (URL or key=value form) inside any text before it is shown."""
    text = _PASSWORD_IN_URL.sub(r"\1***\3", text)
    return _PASSWORD_PARAM.sub(r"\1***", text)


def plain_values(row: dict[str, Any]) -> dict[str, Any]:
    """Database values as JSON-friendly ones: times as ISO-8601, decimals as floats.

    Intervals become seconds; other non-JSON values (inet, ranges) their text form.
    """
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dt.datetime | dt.date | dt.time):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal):
            value = float(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, bytes | memoryview):
            value = bytes(value).hex()
        elif isinstance(value, dt.timedelta):  # interval: seconds, a number like other numerics
            value = value.total_seconds()
        elif not isinstance(value, str | int | float | bool | dict | list | None):
            value = str(value)  # inet, ranges, ...: their text form rather than a failed run
        out[name] = value
    return out
