"""What processing a batch returns: records per sink, dead letters, counters, timings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from stream_engine.dlq import DeadLetter
from stream_engine.topology.batch import Record


@dataclass(frozen=True, slots=True)
class SinkRecord:
    """An encoded output record, ready for the runtime to produce."""

    sink: str
    topic: str
    key: bytes | None
    value: bytes
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...]
    record: dict[str, Any]  # the decoded form, for previews and file targets
    origin: Record  # the consumed record, dead-lettered if the sink refuses this one


@dataclass
class BatchCounters:
    """Accounting: records_in == passed + filtered + dropped + dead letters, always."""

    records_in: int = 0
    passed: int = 0
    filtered: Counter[str] = field(default_factory=Counter)  # by step path
    dropped: Counter[str] = field(default_factory=Counter)  # by step path
    dead: Counter[tuple[str, str]] = field(default_factory=Counter)  # by (stage, reason)
    out: Counter[str] = field(default_factory=Counter)  # by sink

    def balanced(self) -> bool:
        total = self.passed + sum(self.filtered.values()) + sum(self.dropped.values())
        return total + sum(self.dead.values()) == self.records_in

    def add(self, other: BatchCounters) -> None:
        self.records_in += other.records_in
        self.passed += other.passed
        self.filtered.update(other.filtered)
        self.dropped.update(other.dropped)
        self.dead.update(other.dead)
        self.out.update(other.out)


@dataclass
class BatchResult:
    source: str
    outputs: list[SinkRecord] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    counters: BatchCounters = field(default_factory=BatchCounters)
    step_seconds: dict[str, float] = field(default_factory=dict)
