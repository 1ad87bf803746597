"""Read one partition's offset range in large batches, with no consumer group.

Partitions are read one after another, so every batch is one partition in offset order
(the rule that makes replay results equal the live ones). librdkafka prefetches in the
background; the per-record work here is one Record built from the message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from confluent_kafka import Consumer, KafkaError, TopicPartition

from connectors.kafka_config import consumer_config
from stream_engine.errors import BrokerError
from stream_engine.runtime.replay.plan import PartitionRange
from stream_engine.settings import Settings
from stream_engine.topology import Record

STALL_S = 30.0


def replay_consumer(settings: Settings, run_id: str) -> Consumer:
    """A consumer that is only ever assigned partitions: it never joins or commits a group."""
    return Consumer(
        consumer_config(
            settings,
            None,
            **{
                "group.id": f"stream-engine.replay.{run_id}",
                "fetch.max.bytes": 64 * 1024 * 1024,
                "max.partition.fetch.bytes": 16 * 1024 * 1024,
                "queued.min.messages": 200_000,
            },
        )
    )


def read_partition(
    consumer: Consumer, topic: str, part: PartitionRange, batch_size: int = 5000
) -> Iterator[list[Record]]:
    """Batches of records of [part.start, part.end) in offset order."""
    if part.total <= 0:
        return
    p, end = part.partition, part.end
    tp = TopicPartition(topic, p, part.start)
    consumer.assign([tp])
    next_offset = part.start
    last_progress = time.monotonic()
    try:
        while next_offset < end:
            # Never wait for more than the range holds: consume() returns when it has them.
            messages = consumer.consume(min(batch_size, end - next_offset), 0.5)
            records: list[Record] = []
            append = records.append
            for msg in messages:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    raise BrokerError(f"reading {topic}[{p}] failed: {err.str()}")
                offset: int = msg.offset()  # type: ignore[assignment]  # never None when consumed
                if offset >= end:
                    next_offset = end
                    break
                headers = msg.headers()
                append(
                    Record(
                        msg.key(),
                        msg.value(),
                        topic,
                        p,
                        offset,
                        msg.timestamp()[1],
                        tuple(headers) if headers else (),  # type: ignore[arg-type]
                    )
                )
                next_offset = offset + 1
            if records:
                last_progress = time.monotonic()
                yield records
                continue
            # Offsets may skip (compaction, transaction markers): trust the fetch position.
            position = consumer.position([TopicPartition(topic, p)])[0].offset
            if position >= end:
                return
            if time.monotonic() - last_progress > STALL_S:
                raise BrokerError(
                    f"reading {topic}[{p}] stalled at offset {next_offset} (end {end}) "
                    f"for {STALL_S:.0f}s"
                )
    finally:
        consumer.unassign()
