"""Read the offset ranges of a topic's partitions in large batches, with no consumer group.

Every partition of the range is assigned at once, so librdkafka keeps fetching all of
them while the topology works; records are split by partition as they arrive and handed
out as batches of one partition in offset order (the rule that makes replay results equal
the live ones). The per-record work here is one Record built from the message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from confluent_kafka import Consumer, KafkaError, TopicPartition

from connectors.kafka_config import consumer_config
from stream_engine.errors import BrokerError
from stream_engine.runtime.replay.plan import PartitionRange
from stream_engine.runtime.replay.run import Chunk
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
                "max.partition.fetch.bytes": 8 * 1024 * 1024,
                "queued.min.messages": 200_000,
            },
        )
    )


def read_ranges(
    consumer: Consumer, source: str, topic: str, parts: list[PartitionRange], batch_size: int
) -> Iterator[Chunk]:
    """Chunks of [start, end) of every partition; a partition's last chunk says so."""
    pending = {p.partition: p for p in parts if p.total > 0}
    if not pending:
        return
    buffers: dict[int, list[Record]] = {p: [] for p in pending}
    consumer.incremental_assign(
        [TopicPartition(topic, p.partition, p.start) for p in pending.values()]
    )
    last_progress = time.monotonic()
    try:
        while pending:
            finished = _fill(consumer, topic, pending, buffers, batch_size)
            if finished or any(buffers.values()):
                last_progress = time.monotonic()
            else:
                finished = _at_end(consumer, topic, pending)
                if not finished and time.monotonic() - last_progress > STALL_S:
                    where = ", ".join(f"[{p}]" for p in sorted(pending))
                    raise BrokerError(f"reading {topic}{where} stalled for {STALL_S:.0f}s")
            for partition, buffer in buffers.items():
                done = partition in finished
                if done or len(buffer) >= batch_size:
                    part = pending.pop(partition) if done else pending[partition]
                    buffers[partition] = []
                    yield Chunk(source, part, buffer, done)
            if finished:  # stop fetching what is no longer needed
                consumer.incremental_unassign([TopicPartition(topic, p) for p in finished])
            for partition in finished:
                buffers.pop(partition, None)
    finally:
        consumer.unassign()


def _fill(
    consumer: Consumer,
    topic: str,
    pending: dict[int, PartitionRange],
    buffers: dict[int, list[Record]],
    batch_size: int,
) -> set[int]:
    """Consume one batch into the buffers; return the partitions that reached their end."""
    finished: set[int] = set()
    for msg in consumer.consume(batch_size, 0.2):
        err = msg.error()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:
                continue
            raise BrokerError(f"reading {topic} failed: {err.str()}")
        p: int = msg.partition()  # type: ignore[assignment]  # never None when consumed
        part = pending.get(p)
        if part is None or p in finished:
            continue
        offset: int = msg.offset()  # type: ignore[assignment]
        if offset >= part.end:
            finished.add(p)
            continue
        headers = msg.headers()
        buffers[p].append(
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
        if offset >= part.end - 1:
            finished.add(p)
    return finished


def _at_end(consumer: Consumer, topic: str, pending: dict[int, PartitionRange]) -> set[int]:
    """Partitions whose fetch position passed the end: offsets may skip (compaction,
    transaction markers), so the last offset of a range may never arrive."""
    positions = consumer.position([TopicPartition(topic, p) for p in pending])
    return {tp.partition for tp in positions if tp.offset >= pending[tp.partition].end}
