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
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from connectors.kafka_config import consumer_config
from connectors.kafka_reader import to_consumed
from stream_engine.errors import BrokerError
from stream_engine.settings import Settings

Entry = tuple[str, dict[str, Any] | None]
# A changelog created moments ago (or a partition mid leader election) has no leader yet;
# its watermarks can be read a moment later.
_TRANSIENT = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._TIMED_OUT,
}


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
        low, high = _watermarks(consumer, topic, partition)
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


def _watermarks(
    consumer: Consumer, topic: str, partition: int, timeout_s: float = 30
) -> tuple[int, int]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            return int(low), int(high)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            waiting = isinstance(err, KafkaError) and err.code() in _TRANSIENT
            if waiting and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            reason = err.str() if isinstance(err, KafkaError) else str(exc)
            raise BrokerError(f"cannot restore {topic}[{partition}]: {reason}") from None


def log_end_offset(settings: Settings, topic: str, partition: int) -> int:
    """The offset the next record of `topic[partition]` will get."""
    consumer = Consumer(consumer_config(settings, None, **{"group.id": "stream-engine.probe"}))
    try:
        return _watermarks(consumer, topic, partition)[1]
    finally:
        consumer.close()
