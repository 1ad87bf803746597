"""Experiment (e), not a product path: stream-engine's own Topology, Delivery and BatchRunner
driven by a confluent-kafka consumer instead of Faust.

It answers one question for the profile: how fast would the stream-engine worker be if its
source records arrived in batches from librdkafka rather than one by one through Faust's
consumer, conductor and stream? Same pipeline file, same reference loader, same delivery
(flush per batch), offsets committed synchronously after the flush (at-least-once).

`python -m bench.apps.topology_confluent PIPELINE.yaml`, with KAFKA_BOOTSTRAP_SERVERS set.
"""

from __future__ import annotations

import signal
import sys

from confluent_kafka import Consumer

from connectors.kafka_config import consumer_config
from connectors.kafka_reader import to_consumed
from connectors.kafka_reference import ReferenceLoader
from stream_engine.monitor import PipelineMetrics
from stream_engine.runtime.delivery import Delivery
from stream_engine.runtime.runner import BatchRunner
from stream_engine.settings import load_settings
from stream_engine.spec import load_pipeline
from stream_engine.topology import Record, Topology


def main() -> None:
    spec = load_pipeline(sys.argv[1])
    settings = load_settings()
    topology = Topology.build(spec)
    loaders = []
    for name, ref in spec.reference.items():
        loader = ReferenceLoader(settings, topology.tables[name], ref.topic)
        loader.catch_up()
        loader.start()
        loaders.append(loader)
    runner = BatchRunner(topology, Delivery(settings, spec), PipelineMetrics(spec.pipeline))
    source_of = {src.topic: name for name, src in spec.sources.items()}
    consumer = Consumer(consumer_config(settings, spec.group_id))
    consumer.subscribe(list(source_of))
    batch = spec.worker.batch_size
    wait = spec.worker.batch_wait.ms / 1000
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while running:
            messages = consumer.consume(batch, wait)
            by_source: dict[str, list[Record]] = {}
            for msg in messages:
                if msg.error():
                    continue
                m = to_consumed(msg)
                by_source.setdefault(source_of[m.topic], []).append(
                    Record(
                        m.key, m.value, m.topic, m.partition, m.offset, m.timestamp_ms, m.headers
                    )
                )
            for name, records in by_source.items():
                runner.process(name, records)
            if by_source:
                consumer.commit(asynchronous=False)
    finally:
        runner.delivery.close()
        for loader in loaders:
            loader.close()
        consumer.close()


if __name__ == "__main__":
    main()
