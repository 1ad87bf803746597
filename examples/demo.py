"""The README's demo: a local broker and a produce/consume round trip.

This is all it does until the worker lands; it stops the broker it started.
"""

from __future__ import annotations

import sys
import time
import uuid

from confluent_kafka import Consumer, Producer

from connectors.kafka_admin import TopicRequest, ensure_topics, wait_for_cluster
from connectors.kafka_config import consumer_config, producer_config
from stream_engine.devbroker import LocalBroker
from stream_engine.errors import StreamEngineError
from stream_engine.settings import load_settings


def main() -> int:
    broker = LocalBroker()
    began = time.monotonic()
    info = broker.start()
    started_here = not info.already_running
    print(
        f"broker: {info.bootstrap} ({'started' if started_here else 'already running'}, "
        f"{time.monotonic() - began:.1f}s)"
    )
    try:
        settings = load_settings(kafka_bootstrap_servers=info.bootstrap)
        admin = wait_for_cluster(settings)
        topic = f"demo-{uuid.uuid4().hex[:6]}"
        ensure_topics(admin, [TopicRequest(topic, partitions=2)])
        producer = Producer(producer_config(settings))
        for i in range(5):
            producer.produce(topic, key=f"user-{i}", value=f'{{"n": {i}}}'.encode())
        producer.flush(10)
        consumer = Consumer(consumer_config(settings, f"demo-{topic}"))
        consumer.subscribe([topic])
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 5 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            seen += 1
            print(f"  consumed partition={msg.partition()} key={msg.key()!r} value={msg.value()!r}")
        consumer.close()
        print(f"round trip: {seen}/5 records through topic {topic}")
        return 0 if seen == 5 else 1
    finally:
        if started_here:
            broker.stop()
            print("broker stopped")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except StreamEngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
