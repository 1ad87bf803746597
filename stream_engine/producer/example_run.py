"""Write the clickstream example's users and events to Kafka."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, Message, Producer

from connectors.kafka_admin import TopicRequest, ensure_topics, wait_for_cluster
from connectors.kafka_config import producer_config
from stream_engine.errors import BrokerError
from stream_engine.producer import clickstream
from stream_engine.settings import Settings


@dataclass
class ProduceSummary:
    kinds: Counter[str] = field(default_factory=Counter)
    users: int = 0
    seconds: float = 0.0


def produce_clickstream(
    settings: Settings,
    *,
    count: int,
    rate: float,
    bad_fraction: float,
    user_count: int,
    events_topic: str = "page-views",
    users_topic: str = "users",
    partitions: int = 4,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ProduceSummary:
    admin = wait_for_cluster(settings)
    ensure_topics(
        admin,
        [
            TopicRequest(events_topic, partitions),
            TopicRequest(users_topic, 1, 1, {"cleanup.policy": "compact"}),
        ],
    )
    failures: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            failures.append(err)

    producer = Producer(producer_config(settings, **{"linger.ms": 20}))
    summary = ProduceSummary()
    began = time.monotonic()
    for key, value in clickstream.users(user_count):
        _produce(producer, users_topic, key, value, on_delivery)
        summary.users += 1
    for i, event in enumerate(
        clickstream.events(count, user_count, bad_fraction, seed=seed), start=1
    ):
        _produce(producer, events_topic, event.key, event.value, on_delivery)
        summary.kinds[event.kind] += 1
        if rate > 0:
            lag = began + i / rate - time.monotonic()
            if lag > 0:
                producer.poll(0)
                time.sleep(lag)
        if progress is not None and i % 1000 == 0:
            progress(i)
    if producer.flush(60):
        raise BrokerError("not every example record was acknowledged within 60s")
    if failures:
        raise BrokerError(f"{len(failures)} example records failed: {failures[0].str()}")
    summary.seconds = time.monotonic() - began
    return summary


def _produce(
    producer: Producer,
    topic: str,
    key: bytes,
    value: bytes,
    on_delivery: Callable[[KafkaError | None, Message], None],
) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
            producer.poll(0)
            return
        except BufferError:
            producer.poll(0.1)
