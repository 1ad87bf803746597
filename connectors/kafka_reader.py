"""Bounded reads of a topic: partitions from a start offset to an end offset.

`fetch_ranges` is the one reader of offset ranges (replay, `validate kafka://`, the DLQ
tools, --compare-live all use it). No consumer group is joined and nothing is committed,
so live workers are never disturbed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from connectors.kafka_config import consumer_config
from stream_engine.dlq.envelope import Headers
from stream_engine.errors import BrokerError
from stream_engine.settings import Settings


@dataclass(frozen=True, slots=True)
class ConsumedMessage:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Headers


def _headers(raw: object) -> Headers:
    items = raw.items() if isinstance(raw, dict) else (raw or [])
    return tuple(
        (str(k), v.encode() if isinstance(v, str) else v)
        for k, v in items  # type: ignore[attr-defined]
    )


def to_consumed(msg: Message) -> ConsumedMessage:
    """A confluent-kafka message as plain data (its accessors are typed Optional)."""
    value = msg.value()
    key = msg.key()
    return ConsumedMessage(
        str(msg.topic()),
        int(msg.partition() or 0),
        int(msg.offset() or 0),
        int(msg.timestamp()[1]),
        key if isinstance(key, bytes | None) else str(key).encode(),
        value if isinstance(value, bytes | None) else str(value).encode(),
        _headers(msg.headers()),
    )


def end_offsets(consumer: Consumer, topic: str) -> dict[int, tuple[int, int]]:
    """(low, high) watermarks per partition; a missing topic is a BrokerError."""
    meta = consumer.list_topics(topic, timeout=10)
    info = meta.topics.get(topic)
    if info is None or info.error is not None:
        raise BrokerError(f"topic {topic!r} does not exist")
    out = {}
    for p in sorted(info.partitions):
        out[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
    return out


T = TypeVar("T")

Ranges = Mapping[int, tuple[int, int]]
"""[start, end) offsets per partition."""


def fetch_ranges(
    consumer: Consumer,
    topic: str,
    ranges: Ranges,
    convert: Callable[[Message], T],
    *,
    batch_size: int = 1000,
    stall_s: float = 30.0,
) -> Generator[tuple[dict[int, list[T]], set[int]], None, None]:
    """The messages of every range as they are fetched, `convert`ed, by partition in offset
    order; with each fetch, the partitions that reached their end (after their last item).

    All partitions are assigned at once, so librdkafka keeps fetching while the caller
    works. A failed fetch is a BrokerError; so is no progress for `stall_s` seconds.
    """
    pending = {p: end for p, (start, end) in ranges.items() if end > start}
    if not pending:
        return
    consumer.incremental_assign([TopicPartition(topic, p, ranges[p][0]) for p in pending])
    last_progress = time.monotonic()
    try:
        while pending:
            got, finished = _fetch(consumer, topic, pending, convert, batch_size)
            if got or finished:
                last_progress = time.monotonic()
            else:
                finished = _at_end(consumer, topic, pending)
                if not finished and time.monotonic() - last_progress > stall_s:
                    where = ", ".join(f"[{p}]" for p in sorted(pending))
                    raise BrokerError(f"reading {topic}{where} stalled for {stall_s:.0f}s")
            yield got, finished
            if finished:  # stop fetching what is no longer needed
                consumer.incremental_unassign([TopicPartition(topic, p) for p in finished])
                for partition in finished:
                    del pending[partition]
    finally:
        consumer.unassign()


def _fetch(
    consumer: Consumer,
    topic: str,
    pending: dict[int, int],
    convert: Callable[[Message], T],
    batch_size: int,
) -> tuple[dict[int, list[T]], set[int]]:
    """One fetch: the messages below their partition's end, and the partitions that ended."""
    got: dict[int, list[T]] = {}
    finished: set[int] = set()
    for msg in consumer.consume(batch_size, 0.2):
        err = msg.error()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:
                continue
            raise BrokerError(f"reading {topic} failed: {err.str()}")
        p: int = msg.partition()  # type: ignore[assignment]  # never None when consumed
        end = pending.get(p)
        if end is None or p in finished:
            continue
        offset: int = msg.offset()  # type: ignore[assignment]
        if offset >= end:
            finished.add(p)
            continue
        items = got.get(p)
        if items is None:
            items = got[p] = []
        items.append(convert(msg))
        if offset >= end - 1:
            finished.add(p)
    return got, finished


def _at_end(consumer: Consumer, topic: str, pending: dict[int, int]) -> set[int]:
    """Partitions whose fetch position passed the end: offsets may skip (compaction,
    transaction markers), so the last offset of a range may never arrive."""
    positions = consumer.position([TopicPartition(topic, p) for p in pending])
    return {tp.partition for tp in positions if tp.offset >= pending[tp.partition]}


def read_topic(
    settings: Settings, topic: str, idle_timeout_s: float = 30
) -> Iterator[ConsumedMessage]:
    """Every message in the topic when the read starts, each partition in offset order."""
    consumer = Consumer(
        consumer_config(settings, None, **{"group.id": "stream-engine.reader"}),
    )
    try:
        try:
            ranges = end_offsets(consumer, topic)
        except KafkaException as exc:
            raise BrokerError(f"cannot read topic {topic!r}: {exc}") from None
        fetches = fetch_ranges(consumer, topic, ranges, to_consumed, stall_s=idle_timeout_s)
        with closing(fetches):  # unassign before the consumer closes, even if we stop early
            for got, _ in fetches:
                for messages in got.values():
                    yield from messages
    finally:
        consumer.close()
