"""Resolve a replay range on the broker into offsets per partition, refusing bad ranges.

Everything is checked before a single record is processed: a range whose start lies
after its end, offsets beyond the log, unknown topics or partitions, and a start whose
records retention has already deleted. Times are matched against Kafka record
timestamps (`offsets_for_times`); the warm-up goes back (largest window span + grace)
before the start, so windows spanning the start see all their records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, TopicPartition

from stream_engine.errors import BrokerError, ConfigError
from stream_engine.serde import decode_batch
from stream_engine.spec import PipelineSpec
from stream_engine.spec.replay_bounds import Bound, check_order, iso
from stream_engine.topology import Topology
from stream_engine.topology.event_time import EventTimeError, event_time_ms


@dataclass(frozen=True)
class PartitionRange:
    """Offsets of one partition: read from `start`, keep outputs from `begin`, stop at `end`.

    [start, begin) is the warm-up: its records feed the windows but their own outputs
    (sink records, dead letters) belong to an earlier range and are not emitted.
    `window_from_ms`: only windows starting at or after it are emitted (None: all).
    """

    partition: int
    start: int
    begin: int
    end: int  # exclusive
    window_from_ms: int | None = None

    @property
    def total(self) -> int:
        return max(self.end - self.start, 0)


@dataclass(frozen=True)
class SourcePlan:
    source: str
    topic: str
    partitions: list[PartitionRange]
    from_ms: int | None = None  # the range's start time, when it is a time
    to_ms: int | None = None  # the range's end time, when it is a time
    warmup_ms: int = 0

    @property
    def total(self) -> int:
        return sum(p.total for p in self.partitions)


@dataclass(frozen=True)
class ReplayPlan:
    start: Bound
    end: Bound
    sources: list[SourcePlan] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sources)

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.start.describe(),
            "to": self.end.describe(),
            "sources": {
                s.source: {
                    "topic": s.topic,
                    "warmup_ms": s.warmup_ms,
                    "partitions": {
                        str(p.partition): {
                            "warmup_from": p.start,
                            "from": p.begin,
                            "to": p.end,
                            "records": p.total,
                        }
                        for p in s.partitions
                    },
                }
                for s in self.sources
            },
        }


EventTime = Callable[[bytes | None, int], int]


def event_time_reader(topology: Topology, source: str) -> EventTime:
    """A record's event time as its windows see it (the Kafka timestamp when it has none)."""
    field = topology.spec.sources[source].event_time
    decoder = topology.decoders[source]

    def read(raw: bytes | None, kafka_ms: int) -> int:
        if field is None:
            return kafka_ms
        values, _errors = decode_batch(decoder, [raw])
        try:
            return event_time_ms((values[0] or {}).get(field), field)
        except EventTimeError:
            return kafka_ms

    return read


def warmup_ms(topology: Topology, source: str) -> int:
    """Largest (window span + grace) among the source's windows; 0 without windows."""
    spans = [w.operator.wdef.horizon_ms() for w in topology.windows if w.source == source]
    return max(spans, default=0)


def resolve(
    consumer: Consumer, spec: PipelineSpec, topology: Topology, start: Bound, end: Bound
) -> ReplayPlan:
    """Per-partition offsets of every source; a bad range is a one-line error."""
    check_order(start, end)
    if "offsets" in (start.kind, end.kind) and len(spec.sources) > 1:
        raise ConfigError(
            "offsets per partition need a pipeline with one source; "
            f"this one has {len(spec.sources)} ({', '.join(spec.sources)}): use times"
        )
    sources = [
        _source(
            consumer,
            name,
            src.topic,
            start,
            end,
            warmup_ms(topology, name),
            event_time_reader(topology, name),
        )
        for name, src in spec.sources.items()
    ]
    return ReplayPlan(start, end, sources)


def _source(
    consumer: Consumer,
    name: str,
    topic: str,
    start: Bound,
    end: Bound,
    warmup: int,
    event_time: EventTime,
) -> SourcePlan:
    log = _Log(consumer, topic, event_time)
    for bound, option in ((start, "--from"), (end, "--to")):
        unknown = sorted(set(bound.offset_map) - set(log.marks))
        if unknown:
            raise ConfigError(
                f"{option}: topic {topic!r} has no partition {unknown[0]} "
                f"(partitions: 0..{max(log.marks)})"
            )
    # Offsets name the partitions to replay; the others are left out.
    listed = set(start.offset_map) | set(end.offset_map)
    chosen = sorted(listed) if listed else sorted(log.marks)
    parts = [log.partition(p, start, end, warmup) for p in chosen]
    return SourcePlan(
        name,
        topic,
        parts,
        from_ms=start.time_ms if start.kind == "time" else None,
        to_ms=end.time_ms if end.kind == "time" else None,
        warmup_ms=warmup,
    )


class _Log:
    """Watermarks and time lookups of one topic, with errors that name it."""

    def __init__(self, consumer: Consumer, topic: str, event_time: EventTime) -> None:
        self.consumer, self.topic, self.event_time = consumer, topic, event_time
        try:
            meta = consumer.list_topics(topic, timeout=10)
            info = meta.topics.get(topic)
            if info is None or info.error is not None or not info.partitions:
                raise BrokerError(f"source topic {topic!r} does not exist")
            self.marks = {
                p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                for p in sorted(info.partitions)
            }
        except KafkaException as exc:
            raise BrokerError(f"cannot read topic {topic!r}: {exc.args[0]}") from None

    def offset_at(self, partition: int, ms: int) -> int:
        """First offset whose timestamp is >= ms; the end of the log when none is."""
        try:
            found = self.consumer.offsets_for_times(
                [TopicPartition(self.topic, partition, max(ms, 0))], timeout=10
            )[0]
        except KafkaException as exc:
            raise BrokerError(f"cannot look up times in {self.topic!r}: {exc.args[0]}") from None
        low, high = self.marks[partition]
        return high if found.offset < 0 else min(max(found.offset, low), high)

    def record_at(self, partition: int, offset: int) -> tuple[int, bytes | None] | None:
        """(Kafka timestamp, value) of the record at `offset`; None at the end of the log."""
        if offset >= self.marks[partition][1]:
            return None
        self.consumer.assign([TopicPartition(self.topic, partition, offset)])
        try:
            for _ in range(20):
                for msg in self.consumer.consume(1, 0.5):
                    if msg.error() is None:
                        value = msg.value()
                        return int(msg.timestamp()[1]), value if isinstance(value, bytes) else None
            raise BrokerError(f"cannot read offset {offset} of {self.topic}[{partition}]")
        finally:
            self.consumer.unassign()

    def timestamp_of(self, partition: int, offset: int) -> int | None:
        found = self.record_at(partition, offset)
        return None if found is None else found[0]

    def partition(self, p: int, start: Bound, end: Bound, warmup: int) -> PartitionRange:
        low, high = self.marks[p]
        where = f"partition {p} of {self.topic!r}"
        begin = self._begin(p, start, low, high, where)
        if end.kind == "offsets":
            stop = end.offset_map.get(p, high)
            if stop > high:
                raise ConfigError(f"--to offset {stop} is beyond the end of {where} (end {high})")
        elif end.kind == "time":
            assert end.time_ms is not None
            stop = self.offset_at(p, end.time_ms)
        else:
            stop = high
        if stop < begin:
            if start.kind == "offsets" or end.kind == "offsets":
                raise ConfigError(f"--from offset {begin} is after --to offset {stop} in {where}")
            stop = begin  # times in order, but no record between them here
        # Windows are emitted from the range's start in event time; the warm-up is found
        # by Kafka timestamp. For offsets, both come from the record at the start offset.
        window_from = anchor = start.time_ms if start.kind == "time" else None
        if start.kind == "offsets" and begin < high:
            found = self.record_at(p, begin)
            if found is not None:
                anchor, window_from = found[0], self.event_time(found[1], found[0])
        first = begin
        if warmup and anchor is not None and begin > low:
            first = min(self.offset_at(p, anchor - warmup), begin)
        return PartitionRange(p, first, begin, stop, window_from)

    def _begin(self, p: int, start: Bound, low: int, high: int, where: str) -> int:
        if start.kind == "earliest":
            return low
        if start.kind == "offsets":
            offset = start.offset_map.get(p, low)
            if offset > high:
                raise ConfigError(
                    f"--from offset {offset} is beyond the end of {where} (end {high})"
                )
            if offset < low:
                raise ConfigError(
                    f"--from offset {offset} of {where} was deleted by retention "
                    f"(the log now starts at {low})"
                )
            return offset
        assert start.time_ms is not None
        begin = self.offset_at(p, start.time_ms)
        if low > 0 and begin == low:
            first_ts = self.timestamp_of(p, low)
            if first_ts is not None and first_ts > start.time_ms:
                raise ConfigError(
                    f"--from {iso(start.time_ms)} is before the oldest record still in {where} "
                    f"(offset {low}, {iso(first_ts)}): retention deleted the records before it"
                )
        return begin
