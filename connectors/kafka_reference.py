"""Keeps a ReferenceTable current from a compacted topic, in every worker.

All partitions are assigned (no consumer group), so each worker holds the whole table;
`catch_up` blocks until the end offsets seen at start are reached, so the worker never
enriches against a half-loaded table.
"""

from __future__ import annotations

import logging
import threading
import time

from confluent_kafka import Consumer, TopicPartition

from connectors.kafka_config import consumer_config
from connectors.kafka_reader import end_offsets, to_consumed
from stream_engine.errors import BrokerError
from stream_engine.settings import Settings
from stream_engine.topology import ReferenceTable

log = logging.getLogger(__name__)


class ReferenceLoader:
    def __init__(self, settings: Settings, table: ReferenceTable, topic: str) -> None:
        self.table = table
        self.topic = topic
        self._consumer = Consumer(
            consumer_config(settings, None, **{"group.id": f"stream-engine.ref.{topic}"})
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.applied = 0

    def catch_up(self, timeout_s: float = 300) -> int:
        """Read from the beginning up to the end offsets as of now; return records applied."""
        ranges = end_offsets(self._consumer, self.topic)
        self._consumer.assign(
            [TopicPartition(self.topic, p, low) for p, (low, _) in ranges.items()]
        )
        pending = {p for p, (low, high) in ranges.items() if high > low}
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"reference topic {self.topic!r} did not load within {timeout_s:.0f}s"
                )
            msg = self._consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            consumed = to_consumed(msg)
            self._apply(consumed.key, consumed.value)
            if consumed.offset >= ranges[consumed.partition][1] - 1:
                pending.discard(consumed.partition)
        return self.applied

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        self.table.apply(key, value)
        self.applied += 1

    def start(self) -> None:
        """Follow the topic in a background thread after catch_up."""
        self._thread = threading.Thread(
            target=self._follow, name=f"reference-{self.table.name}", daemon=True
        )
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._consumer.poll(0.5)
            except RuntimeError:  # consumer closed under us at shutdown
                return
            if msg is None:
                continue
            if msg.error():
                log.warning("reference %s: %s", self.topic, msg.error())
                continue
            consumed = to_consumed(msg)
            self._apply(consumed.key, consumed.value)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._consumer.close()
