"""What processing a batch returns: records per sink, dead letters, counters, timings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from stream_engine.dlq import DeadLetter
from stream_engine.dlq.envelope import Headers
from stream_engine.topology.batch import Record


@dataclass(frozen=True, slots=True)
class SinkRecord:
    """An encoded output record, ready for the runtime to produce."""

    sink: str
    topic: str
    key: bytes | None
    value: bytes | None  # None: a tombstone (a window result replaced by a session merge)
    timestamp_ms: int
    headers: Headers
    record: dict[str, Any] | None  # the decoded form, for previews and file targets
    origin: Record | None  # the consumed record, dead-lettered if the sink refuses this one


@dataclass(frozen=True, slots=True)
class TableRow:
    """A record for a table or file sink (connectors/): written before the batch commits."""

    sink: str
    values: dict[str, Any]
    timestamp_ms: int
    origin: Record | None  # dead-lettered if the sink rejects the row


@dataclass(frozen=True, slots=True)
class ChangelogRecord:
    """A window-state entry for partition `partition` of a compacted changelog topic."""

    topic: str
    partition: int
    key: bytes
    value: bytes | None


@dataclass
class BatchCounters:
    """Accounting: records_in == passed + filtered + dropped + dead letters, always."""

    records_in: int = 0
    passed: int = 0
    filtered: Counter[str] = field(default_factory=Counter)  # by step path
    dropped: Counter[str] = field(default_factory=Counter)  # by step path
    dead: Counter[tuple[str, str]] = field(default_factory=Counter)  # by (stage, reason)
    out: Counter[str] = field(default_factory=Counter)  # by sink

    late: Counter[str] = field(default_factory=Counter)  # by window, late for all windows
    partly_late: Counter[str] = field(default_factory=Counter)  # by window (hopping)

    def balanced(self) -> bool:
        """Windows see records that already passed, so their dead letters stand apart."""
        total = self.passed + sum(self.filtered.values()) + sum(self.dropped.values())
        before_windows = sum(n for (stage, _), n in self.dead.items() if stage != "window")
        return total + before_windows == self.records_in

    def add(self, other: BatchCounters) -> None:
        self.records_in += other.records_in
        self.passed += other.passed
        self.filtered.update(other.filtered)
        self.dropped.update(other.dropped)
        self.dead.update(other.dead)
        self.out.update(other.out)
        self.late.update(other.late)
        self.partly_late.update(other.partly_late)


@dataclass
class BatchResult:
    source: str
    outputs: list[SinkRecord] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    counters: BatchCounters = field(default_factory=BatchCounters)
    step_seconds: dict[str, float] = field(default_factory=dict)
    changelog: list[ChangelogRecord] = field(default_factory=list)  # after outputs are acked
    table_rows: list[TableRow] = field(default_factory=list)  # for table and file sinks
