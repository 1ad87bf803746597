"""Produce a batch's outputs and dead letters, and know when the broker has them all.

Offsets may be committed only after `flush` returns: that is the at-least-once rule.
A sink that refuses one record (too large, invalid) turns it into a `sink_error` dead
letter; a dead letter that cannot be delivered stops the worker before it commits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from connectors.kafka_config import producer_config
from stream_engine.dlq import DeadLetter, dead_letter_message
from stream_engine.errors import BrokerError
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.topology import BatchResult, SinkRecord
from stream_engine.topology.result import ChangelogRecord

# Errors about one record, not the cluster: that record is dead-lettered, the rest goes on.
_REFUSALS = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.INVALID_RECORD,
    }
)


@dataclass
class FlushReport:
    delivered: int = 0
    rerouted: list[DeadLetter] = field(default_factory=list)  # sink records turned dead letters


class Delivery:
    def __init__(self, settings: Settings, spec: PipelineSpec) -> None:
        self.pipeline = spec.pipeline
        self.dlq_topic = spec.dead_letter_topic
        self.max_message_bytes = spec.dead_letter.max_message_bytes
        self._producer = Producer(
            producer_config(
                settings,
                **{
                    "linger.ms": 5,
                    "batch.num.messages": 10000,
                    "queue.buffering.max.messages": 1000000,
                    "message.max.bytes": max(self.max_message_bytes + 65536, 1048576),
                },
            )
        )
        self._failed_sinks: list[tuple[SinkRecord, KafkaError]] = []
        self._failed_dlq: list[KafkaError] = []
        self._refused: list[tuple[SinkRecord, KafkaError]] = []
        self._pending = 0

    def send(self, result: BatchResult) -> None:
        """Queue every output and dead letter of the batch (blocks only when the queue is full)."""
        for out in result.outputs:
            self._produce(out.topic, out.key, out.value, out.headers, out.timestamp_ms, out)
        self.send_dead_letters(result.dead_letters)

    def send_dead_letters(self, letters: list[DeadLetter]) -> None:
        now = int(time.time() * 1000)
        for letter in letters:
            msg = dead_letter_message(letter, self.pipeline, now, self.max_message_bytes)
            self._produce(self.dlq_topic, msg.key, msg.value, msg.headers, now, None)

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: object,
        timestamp_ms: int,
        origin: SinkRecord | None,
        partition: int | None = None,
    ) -> None:
        def on_delivery(
            err: KafkaError | None, _msg: Message, origin: SinkRecord | None = origin
        ) -> None:
            self._pending -= 1
            if err is None:
                return
            if origin is not None:
                self._failed_sinks.append((origin, err))
            else:
                self._failed_dlq.append(err)

        while True:
            try:
                extra: dict[str, Any] = {} if partition is None else {"partition": partition}
                self._producer.produce(
                    topic,
                    value=value,
                    key=key,
                    headers=list(headers) if headers else None,  # type: ignore[call-overload]
                    timestamp=timestamp_ms,
                    on_delivery=on_delivery,
                    **extra,
                )
                self._pending += 1
                return
            except BufferError:
                self._producer.poll(0.05)
            except KafkaException as exc:  # refused before sending, e.g. larger than allowed
                if origin is None:
                    raise BrokerError(f"cannot queue a dead letter: {exc.args[0].str()}") from None
                self._refused.append((origin, exc.args[0]))
                return

    def flush(self, timeout_s: float = 300) -> FlushReport:
        """Block until the broker acknowledged everything queued (or raise BrokerError)."""
        report = FlushReport()
        queued = self._pending
        remaining = self._producer.flush(timeout_s)
        if remaining:
            raise BrokerError(f"{remaining} records were not acknowledged within {timeout_s:.0f}s")
        if self._failed_sinks or self._refused:
            failed, self._failed_sinks = self._failed_sinks, []
            fatal = [err for _, err in failed if err.code() not in _REFUSALS]
            if fatal:
                raise BrokerError(f"cannot write to sink topic: {fatal[0].str()}")
            failed += self._refused
            self._refused = []
            orphans = [err for out, err in failed if out.origin is None]
            if orphans:  # a window result has no single input record to dead-letter
                raise BrokerError(f"a window result topic refused a result: {orphans[0].str()}")
            report.rerouted = [_sink_dead_letter(out, err) for out, err in failed]
            self.send_dead_letters(report.rerouted)
            if self._producer.flush(timeout_s):
                raise BrokerError("dead letters were not acknowledged")
        if self._failed_dlq:
            err = self._failed_dlq[0]
            self._failed_dlq = []
            raise BrokerError(f"cannot write to dead-letter topic {self.dlq_topic!r}: {err.str()}")
        report.delivered = queued
        return report

    def send_changelog(self, records: list[ChangelogRecord]) -> None:
        """Queue window-state entries, each to the changelog partition of its source partition."""
        for rec in records:
            self._produce(
                rec.topic,
                rec.key,
                rec.value,
                None,
                int(time.time() * 1000),
                None,
                partition=rec.partition,
            )

    def close(self) -> None:
        self._producer.flush(30)


def _sink_dead_letter(out: SinkRecord, err: KafkaError) -> DeadLetter:
    rec = out.origin
    assert rec is not None
    return DeadLetter(
        reason="sink_error",
        stage="sink",
        message=f"sink {out.sink} (topic {out.topic}) refused the record: {err.str()}",
        key=rec.key,
        value=rec.value,
        topic=rec.topic,
        partition=rec.partition,
        offset=rec.offset,
        timestamp_ms=rec.timestamp_ms,
        headers=rec.headers,
    )
