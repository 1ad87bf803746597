"""Read a consumer group's committed offsets, log end offsets and owners (AdminClient).

The thin I/O half of the lag monitor: one `snapshot()` is three batched admin requests
(committed offsets, latest offsets, group description), whatever the partition count.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._listoffsets import OffsetSpec

from connectors.kafka_admin import wait_for_cluster
from stream_engine.errors import BrokerError
from stream_engine.monitor.lag import OffsetsSnapshot, TopicPartitionKey
from stream_engine.settings import Settings

REQUEST_TIMEOUT_S = 10.0
_EMPTY_STATES = {"EMPTY", "DEAD"}


class GroupOffsetsReader:
    def __init__(
        self,
        settings: Settings,
        group: str,
        topics: list[str] | None = None,
        admin: AdminClient | None = None,
    ) -> None:
        self.group = group
        self.topics = list(topics or [])
        self.admin = admin or wait_for_cluster(settings)

    def snapshot(self) -> OffsetsSnapshot:
        now = time.time()
        committed = self._committed()
        topics = self.topics or sorted({t for t, _ in committed})
        partitions = self._partitions(topics)
        if self.topics:
            committed = {tp: o for tp, o in committed.items() if tp[0] in self.topics}
        highs = self._latest(partitions)
        return OffsetsSnapshot(now, highs, committed, self._owned(partitions))

    def _committed(self) -> dict[TopicPartitionKey, int]:
        request = [ConsumerGroupTopicPartitions(self.group)]
        future = self.admin.list_consumer_group_offsets(request, request_timeout=REQUEST_TIMEOUT_S)[
            self.group
        ]
        result = _result(future, f"committed offsets of group {self.group!r}")
        return {
            (tp.topic, tp.partition): tp.offset
            for tp in result.topic_partitions or []
            if tp.offset >= 0 and tp.error is None
        }

    def _partitions(self, topics: list[str]) -> list[TopicPartitionKey]:
        if not topics:
            return []
        try:
            meta = self.admin.list_topics(timeout=REQUEST_TIMEOUT_S)
        except KafkaException as exc:
            raise BrokerError(f"cannot list topics: {_reason(exc)}") from None
        out: list[TopicPartitionKey] = []
        for name in topics:
            topic = meta.topics.get(name)
            if topic is None or topic.error is not None:
                raise BrokerError(f"topic {name!r} does not exist")
            out.extend((name, p) for p in sorted(topic.partitions))
        return out

    def _latest(self, partitions: list[TopicPartitionKey]) -> dict[TopicPartitionKey, int]:
        if not partitions:
            return {}
        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        futures = self.admin.list_offsets(
            {TopicPartition(t, p): latest for t, p in partitions},
            request_timeout=REQUEST_TIMEOUT_S,
        )
        return {
            (tp.topic, tp.partition): _result(
                fut, f"end offset of {tp.topic}[{tp.partition}]"
            ).offset
            for tp, fut in futures.items()
        }

    def _owned(self, partitions: list[TopicPartitionKey]) -> dict[TopicPartitionKey, bool]:
        """Which partitions a live member holds; empty (unknown) when the group cannot say."""
        future = self.admin.describe_consumer_groups(
            [self.group], request_timeout=REQUEST_TIMEOUT_S
        )[self.group]
        try:
            described = future.result()
        except KafkaException:
            return {}
        state = getattr(described.state, "name", str(described.state)).upper()
        if state in _EMPTY_STATES or not described.members:
            return dict.fromkeys(partitions, False)
        held: set[TopicPartitionKey] = set()
        for member in described.members:
            assignment = getattr(member, "assignment", None)
            for tp in getattr(assignment, "topic_partitions", None) or []:
                held.add((tp.topic, tp.partition))
        if not held:  # members whose assignment the client cannot decode
            return {}
        return {tp: tp in held for tp in partitions}


def _result(future: Future[Any], what: str) -> Any:
    try:
        return future.result()
    except KafkaException as exc:
        raise BrokerError(f"cannot read {what}: {_reason(exc)}") from None


def _reason(exc: KafkaException) -> str:
    return str(exc.args[0].str() if exc.args and hasattr(exc.args[0], "str") else exc)
