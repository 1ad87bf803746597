"""Contender (a): confluent-kafka consume -> produce -> flush -> commit, no processing.

The ceiling for any Python worker on this machine: one consumer in a fresh group, each
value produced to the output topic with the producer settings stream-engine's delivery
uses, a flush per batch and a synchronous commit after it (at-least-once).
"""

from __future__ import annotations

import os
import signal

from confluent_kafka import Consumer, Producer

from connectors.kafka_config import consumer_config, producer_config
from stream_engine.settings import Settings


def main() -> None:
    settings = Settings(kafka_bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"])
    out_topic = os.environ["OUT_TOPIC"]
    batch = int(os.environ.get("BATCH_SIZE", "1000"))
    consumer = Consumer(consumer_config(settings, os.environ["GROUP_ID"]))
    producer = Producer(
        producer_config(
            settings,
            **{
                "linger.ms": 5,
                "batch.num.messages": 10_000,
                "queue.buffering.max.messages": 1_000_000,
            },
        )
    )
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    consumer.subscribe([os.environ["IN_TOPIC"]])
    produce = producer.produce
    try:
        while running:
            messages = consumer.consume(batch, 0.2)
            if not messages:
                continue
            for msg in messages:
                if msg.error():
                    continue
                while True:
                    try:
                        produce(out_topic, msg.value(), msg.key())
                        break
                    except BufferError:
                        producer.poll(0.05)
            if producer.flush(60):
                raise SystemExit("records not acknowledged within 60s")
            consumer.commit(asynchronous=False)
    finally:
        producer.flush(30)
        consumer.close()


if __name__ == "__main__":
    main()
