"""The live worker on a confluent-kafka batch consumer (`--runtime kafka`).

Faust hands records to agents one by one through several asyncio tasks per message;
measured here that costs about 60 us per event before any work is done. This loop
takes whole batches from librdkafka (`consume(batch_size, batch_wait)`), runs the same
BatchRunner (topology + delivery), and commits the batch's offsets explicitly after
the broker acknowledged every output: the at-least-once rule, with no acks to track.

Rebalances are simple here: librdkafka calls on_revoke from inside consume(), and a
batch is never in flight then (processing and consuming share one thread), so the
previous batch has already been delivered and committed.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from connectors.kafka_config import consumer_config
from connectors.kafka_reader import to_consumed
from stream_engine.errors import BrokerError
from stream_engine.runtime.readiness import by_topic
from stream_engine.runtime.runner import BatchRunner
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.topology import Record

log = logging.getLogger(__name__)
TICK_S = 1.0


class KafkaLoop:
    def __init__(
        self,
        spec: PipelineSpec,
        settings: Settings,
        runner: BatchRunner,
        heartbeat: Callable[[], None],
    ) -> None:
        self.spec = spec
        self.runner = runner
        self.heartbeat = heartbeat
        self.sources = {s.topic: name for name, s in spec.sources.items()}
        # one consume() serves every source: its wait is the source's, or "*" for several
        self._wait_label = next(iter(spec.sources)) if len(spec.sources) == 1 else "*"
        self._stopping = False
        self._consumer = Consumer(
            consumer_config(
                settings,
                spec.group_id,
                **{
                    "session.timeout.ms": 10_000,
                    "heartbeat.interval.ms": 1_000,
                    "max.poll.interval.ms": 300_000,
                    "partition.assignment.strategy": "cooperative-sticky",
                },
            )
        )

    def stop(self, *_args: Any) -> None:
        self._stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self._consumer.subscribe(
            list(self.sources),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )
        batch_size = self.spec.worker.batch_size
        wait_s = self.spec.worker.batch_wait.ms / 1000
        last_tick = time.monotonic()
        try:
            while not self._stopping:
                began = time.perf_counter()
                messages = self._consumer.consume(batch_size, wait_s)
                self.runner.metrics.observe_broker_wait(
                    self._wait_label, time.perf_counter() - began
                )
                self._process(messages)
                now = time.monotonic()
                if now - last_tick >= TICK_S:
                    self.heartbeat()
                    self.runner.idle_tick()
                    last_tick = now
        finally:
            self._consumer.close()  # leaves the group: partitions move on at once
        return 0

    def _process(self, messages: list[Any]) -> None:
        by_source: dict[str, list[Record]] = {}
        offsets: dict[tuple[str, int], int] = {}
        for msg in messages:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                if err.fatal():
                    raise BrokerError(f"consumer failed: {err.str()}")
                log.warning("consumer: %s", err.str())
                continue
            m = to_consumed(msg)
            by_source.setdefault(self.sources[m.topic], []).append(
                Record(m.key, m.value, m.topic, m.partition, m.offset, m.timestamp_ms, m.headers)
            )
            offsets[(m.topic, m.partition)] = m.offset + 1
        if not offsets:
            return
        for source, records in by_source.items():
            self.runner.process(source, records)  # returns once every output is acknowledged
        began = time.perf_counter()
        try:
            self._consumer.commit(
                offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                asynchronous=False,
            )
        except KafkaException as exc:
            # e.g. a rebalance took the partitions meanwhile: their new owner re-reads from
            # the last commit, so records may repeat (at-least-once), never go missing.
            log.warning("commit skipped: %s", exc.args[0].str() if exc.args else exc)
        self.runner.metrics.observe_step("offset_commit", time.perf_counter() - began)

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned: %s", ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions))
        for topic, parts in by_topic(partitions).items():
            self.runner.assign_partitions(topic, parts)

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for topic, parts in by_topic(partitions).items():
            self.runner.forget_partitions(topic, parts)
        log.info("revoked: %s", ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions))
