"""Records as they arrive, and the micro-batch: one partition's records in offset order."""

from __future__ import annotations

from dataclasses import dataclass, field

from stream_engine.dlq import DeadLetter
from stream_engine.dlq.envelope import Headers


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed message with its raw bytes, kept until it is emitted or dead-lettered."""

    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    headers: Headers = ()


def dead_letter_for(
    rec: Record, *, reason: str, stage: str, message: str, rule: str = ""
) -> DeadLetter:
    """A dead letter carrying this record's original bytes, headers and position."""
    return DeadLetter(
        reason=reason,
        stage=stage,
        message=message,
        key=rec.key,
        value=rec.value,
        topic=rec.topic,
        partition=rec.partition,
        offset=rec.offset,
        timestamp_ms=rec.timestamp_ms,
        rule=rule,
        headers=rec.headers,
    )


@dataclass(frozen=True, slots=True)
class MicroBatch:
    """Records of one source partition in offset order; the unit every runtime feeds in."""

    source: str
    records: list[Record] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)
