"""Test helpers over a real broker: unique topics, producing, and reading a topic back."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from connectors.kafka_admin import TopicRequest, delete_topics, ensure_topics, wait_for_cluster
from connectors.kafka_config import consumer_config, producer_config
from stream_engine.settings import Settings

Headers = Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True)
class Message:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    partition: int
    offset: int
    timestamp: int

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


class KafkaKit:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.settings = Settings(kafka_bootstrap_servers=bootstrap)
        self.admin = wait_for_cluster(self.settings)
        self.created: list[str] = []

    def topic(
        self, prefix: str = "t", partitions: int = 1, config: dict[str, str] | None = None
    ) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        ensure_topics(self.admin, [TopicRequest(name, partitions, 1, config or {})])
        self.created.append(name)
        return name

    def unique(self, prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def produce(
        self,
        topic: str,
        records: Iterable[tuple[Any, Any] | tuple[Any, Any, Headers]],
        partition: int | None = None,
    ) -> int:
        producer = Producer(producer_config(self.settings, **{"linger.ms": 2}))
        count = 0
        for rec in records:
            key, value = rec[0], rec[1]
            headers = list(rec[2]) if len(rec) > 2 else None  # type: ignore[misc]
            kwargs: dict[str, Any] = {"key": _b(key), "value": _b(value), "headers": headers}
            if partition is not None:
                kwargs["partition"] = partition
            producer.produce(topic, **kwargs)
            producer.poll(0)
            count += 1
        remaining = producer.flush(30)
        assert remaining == 0, f"{remaining} records not delivered to {topic}"
        return count

    def read_all(
        self,
        topic: str,
        expected: int | None = None,
        timeout_s: float = 30,
        alive: subprocess.Popen[bytes] | None = None,
    ) -> list[Message]:
        """Every record of the topic; with `expected`, wait until at least that many exist.

        With `alive`, stop waiting as soon as that process has exited.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                messages = self._read_to_end(topic)
            except KafkaException:  # a topic created a moment ago may have no leader yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
                continue
            if expected is None or len(messages) >= expected or time.monotonic() > deadline:
                return messages
            if alive is not None and alive.poll() is not None:
                return self._read_to_end(topic)
            time.sleep(0.3)

    def _read_to_end(self, topic: str) -> list[Message]:
        consumer = Consumer(consumer_config(self.settings, None, **{"group.id": "kit-reader"}))
        try:
            meta = consumer.list_topics(topic, timeout=10)
            parts = sorted(meta.topics[topic].partitions)
            ends = {}
            for p in parts:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                if high > low:
                    ends[p] = (low, high)
            if not ends:
                return []
            consumer.assign([TopicPartition(topic, p, lo) for p, (lo, _) in ends.items()])
            out: list[Message] = []
            done: set[int] = set()
            deadline = time.monotonic() + 30
            while len(done) < len(ends) and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                p = msg.partition()
                out.append(
                    Message(
                        msg.key(),
                        msg.value(),
                        list(msg.headers() or []),
                        p,
                        msg.offset(),
                        msg.timestamp()[1],
                    )
                )
                if msg.offset() >= ends[p][1] - 1:
                    done.add(p)
            return out
        finally:
            consumer.close()

    def cleanup(self) -> None:
        delete_topics(self.admin, self.created)
        self.created.clear()


def _b(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return str(value).encode()
