"""Read the offset ranges of a topic's partitions in large batches, with no consumer group.

connectors.kafka_reader.fetch_ranges assigns every partition of the range at once, so
librdkafka keeps fetching all of them while the topology works; records are split by
partition as they arrive and handed out as batches of one partition in offset order (the
rule that makes replay results equal the live ones). The per-record work here is one
Record built from the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

from confluent_kafka import Consumer, Message

from connectors.kafka_config import consumer_config
from connectors.kafka_reader import fetch_ranges
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
    by_partition = {p.partition: p for p in parts if p.total > 0}
    ranges = {p: (part.start, part.end) for p, part in by_partition.items()}
    buffers: dict[int, list[Record]] = {p: [] for p in by_partition}

    def record(msg: Message) -> Record:
        headers = msg.headers()
        return Record(
            msg.key(),
            msg.value(),
            topic,
            msg.partition(),  # type: ignore[arg-type]  # never None when consumed
            msg.offset(),  # type: ignore[arg-type]
            msg.timestamp()[1],
            tuple(headers) if headers else (),  # type: ignore[arg-type]
        )

    fetches = fetch_ranges(consumer, topic, ranges, record, batch_size=batch_size, stall_s=STALL_S)
    with closing(fetches):  # unassign as soon as the run stops reading
        for got, finished in fetches:
            for partition, records in got.items():
                buffers[partition].extend(records)
            for partition, buffer in buffers.items():
                done = partition in finished
                if done or len(buffer) >= batch_size:
                    buffers[partition] = []
                    yield Chunk(source, by_partition[partition], buffer, done)
            for partition in finished:
                buffers.pop(partition, None)
