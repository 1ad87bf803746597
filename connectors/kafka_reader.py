"""Bounded reads of a topic: every partition from a start offset to its end at call time.

No consumer group is joined and nothing is committed, so live workers are never disturbed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

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


def read_topic(
    settings: Settings, topic: str, idle_timeout_s: float = 30
) -> Iterator[ConsumedMessage]:
    """Every message currently in the topic, partition by partition interleaved by arrival."""
    consumer = Consumer(
        consumer_config(settings, None, **{"group.id": "stream-engine.reader"}),
    )
    try:
        try:
            ranges = {p: r for p, r in end_offsets(consumer, topic).items() if r[1] > r[0]}
        except KafkaException as exc:
            raise BrokerError(f"cannot read topic {topic!r}: {exc}") from None
        if not ranges:
            return
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in ranges.items()])
        remaining = set(ranges)
        last_progress = time.monotonic()
        while remaining:
            msg = consumer.poll(0.5)
            if msg is None:
                if time.monotonic() - last_progress > idle_timeout_s:
                    raise BrokerError(f"reading {topic!r} stalled for {idle_timeout_s:.0f}s")
                continue
            if msg.error():
                continue
            last_progress = time.monotonic()
            consumed = to_consumed(msg)
            yield consumed
            if consumed.offset >= ranges[consumed.partition][1] - 1:
                remaining.discard(consumed.partition)
    finally:
        consumer.close()
