"""Records as they arrive, and the micro-batch: one partition's records in offset order."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed message with its raw bytes, kept until it is emitted or dead-lettered."""

    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class MicroBatch:
    """Records of one source partition in offset order; the unit every runtime feeds in."""

    source: str
    records: list[Record] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)
