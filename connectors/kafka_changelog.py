"""Window state changelogs: compacted topics partitioned like the source.

Partition p of a changelog holds the state of source partition p, so a worker that is
assigned p restores exactly that partition's windows, watermark and closed markers.
Entry keys are strings, values JSON objects; a null value deletes an entry.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
from confluent_kafka import Consumer, TopicPartition

from connectors.kafka_config import consumer_config
from connectors.kafka_reader import to_consumed
from stream_engine.errors import BrokerError
from stream_engine.settings import Settings

Entry = tuple[str, dict[str, Any] | None]


def encode_entry(entry: Entry) -> tuple[bytes, bytes | None]:
    key, value = entry
    return key.encode(), None if value is None else orjson.dumps(value)


def read_partition(
    settings: Settings, topic: str, partition: int, timeout_s: float = 300
) -> Iterator[Entry]:
    """Every entry of one changelog partition, in order, up to its end at call time."""
    consumer = Consumer(
        consumer_config(settings, None, **{"group.id": f"stream-engine.restore.{topic}"})
    )
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high <= low:
            return
        consumer.assign([TopicPartition(topic, partition, low)])
        deadline = time.monotonic() + timeout_s
        while True:
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"restoring {topic}[{partition}] did not finish within {timeout_s:.0f}s"
                )
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            consumed = to_consumed(msg)
            key = (consumed.key or b"").decode("utf-8", errors="replace")
            yield key, None if consumed.value is None else orjson.loads(consumed.value)
            if consumed.offset >= high - 1:
                return
    finally:
        consumer.close()
