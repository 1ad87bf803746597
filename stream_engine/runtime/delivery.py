"""Produce a batch's outputs and dead letters, and know when the broker has them all.

Offsets may be committed only after `flush` returns: that is the at-least-once rule.

- A sink that refuses a record on its own (too large for the topic, invalid) turns it
  into a `sink_error` dead letter. The broker refuses whole produce requests, so a
  refusal may be the batch's rather than the record's: refused records are sent again
  one at a time, and only those still refused alone are dead-lettered.
- Dead letters have a producer of their own whose batches never exceed the dead-letter
  topic's record limit, so a small `max_message_bytes` can never block commits.
- Anything else (the cluster unreachable past the delivery timeout, a changelog or a
  dead letter refused) raises BrokerError: the worker stops without committing.
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
from stream_engine.topology.batch import dead_letter_for
from stream_engine.topology.result import ChangelogRecord

# Errors about a record (or the request carrying it), not the cluster.
_REFUSALS = frozenset({KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_RECORD})
_BATCH_OVERHEAD = 1024


@dataclass
class FlushReport:
    rerouted: list[DeadLetter] = field(default_factory=list)  # sink records turned dead letters
    rerouted_from: list[SinkRecord] = field(default_factory=list)  # the refused records


@dataclass
class _Failures:
    sinks: list[tuple[SinkRecord, KafkaError]] = field(default_factory=list)
    other: list[tuple[str, KafkaError]] = field(default_factory=list)  # (topic, error)


class Delivery:
    def __init__(self, settings: Settings, spec: PipelineSpec) -> None:
        self.pipeline = spec.pipeline
        self.dlq_topic = spec.dead_letter_topic
        self.max_message_bytes = spec.dead_letter.max_message_bytes
        common = {"linger.ms": 5, "queue.buffering.max.messages": 1_000_000}
        self._producer = Producer(
            producer_config(settings, **common, **{"batch.num.messages": 10_000})
        )
        limit = self.max_message_bytes + _BATCH_OVERHEAD
        self._dlq_producer = Producer(
            producer_config(
                settings,
                **common,
                **{"batch.size": self.max_message_bytes, "message.max.bytes": max(limit, 1000)},
            )
        )
        self._failures = _Failures()

    def send(self, result: BatchResult) -> None:
        """Queue every output and dead letter of the batch (blocks only when the queue is full)."""
        for out in result.outputs:
            self._produce(
                self._producer, out.topic, out.key, out.value, out.headers, out.timestamp_ms, out
            )
        self.send_dead_letters(result.dead_letters)

    def send_dead_letters(self, letters: list[DeadLetter]) -> None:
        now = int(time.time() * 1000)
        for letter in letters:
            msg = dead_letter_message(letter, self.pipeline, now, self.max_message_bytes)
            self._produce(self._dlq_producer, self.dlq_topic, msg.key, msg.value, msg.headers, now)

    def send_changelog(self, records: list[ChangelogRecord]) -> None:
        """Queue window-state entries, each to the changelog partition of its source partition."""
        now = int(time.time() * 1000)
        for rec in records:
            self._produce(
                self._producer, rec.topic, rec.key, rec.value, None, now, partition=rec.partition
            )

    def _produce(
        self,
        producer: Producer,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Any,
        timestamp_ms: int,
        origin: SinkRecord | None = None,
        partition: int | None = None,
    ) -> None:
        failures = self._failures

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            if err is None:
                return
            if origin is not None:
                failures.sinks.append((origin, err))
            else:
                failures.other.append((topic, err))

        extra: dict[str, Any] = {} if partition is None else {"partition": partition}
        while True:
            try:
                producer.produce(
                    topic,
                    value=value,
                    key=key,
                    headers=list(headers) if headers else None,
                    timestamp=timestamp_ms,
                    on_delivery=on_delivery,
                    **extra,
                )
                return
            except BufferError:
                producer.poll(0.05)
            except KafkaException as exc:  # refused before sending, e.g. larger than allowed
                if origin is None:
                    raise BrokerError(f"cannot write to {topic!r}: {exc.args[0].str()}") from None
                failures.sinks.append((origin, exc.args[0]))
                return

    def flush(self, timeout_s: float = 300) -> FlushReport:
        """Block until the broker acknowledged everything queued (or raise BrokerError)."""
        report = FlushReport()
        self._flush(self._producer, timeout_s)
        failed, self._failures.sinks = self._failures.sinks, []
        fatal = [(out, err) for out, err in failed if err.code() not in _REFUSALS]
        if fatal:
            out, err = fatal[0]
            raise BrokerError(f"cannot write to sink topic {out.topic!r}: {err.str()}")
        refused = [(out, err) for out, err in failed if not self._send_alone(out, timeout_s)]
        orphans = [(out, err) for out, err in refused if out.origin is None]
        if orphans:  # a window result has no single input record to dead-letter
            out, err = orphans[0]
            raise BrokerError(f"result topic {out.topic!r} refused a window result: {err.str()}")
        report.rerouted = [_sink_dead_letter(out, err) for out, err in refused]
        report.rerouted_from = [out for out, _ in refused]
        self.send_dead_letters(report.rerouted)
        self._flush(self._dlq_producer, timeout_s)
        self._raise_other_failures()
        return report

    def _send_alone(self, out: SinkRecord, timeout_s: float) -> bool:
        """Send one refused record in a request of its own; True when the broker took it."""
        self._produce(
            self._producer, out.topic, out.key, out.value, out.headers, out.timestamp_ms, out
        )
        self._flush(self._producer, timeout_s)
        again, self._failures.sinks = self._failures.sinks, []
        return not again

    def _flush(self, producer: Producer, timeout_s: float) -> None:
        remaining = producer.flush(timeout_s)
        if remaining:
            raise BrokerError(f"{remaining} records were not acknowledged within {timeout_s:.0f}s")
        self._raise_other_failures()

    def _raise_other_failures(self) -> None:
        if self._failures.other:
            topic, err = self._failures.other[0]
            self._failures.other = []
            kind = "dead-letter topic" if topic == self.dlq_topic else "topic"
            raise BrokerError(f"cannot write to {kind} {topic!r}: {err.str()}")

    def close(self) -> None:
        self._producer.flush(30)
        self._dlq_producer.flush(30)


def _sink_dead_letter(out: SinkRecord, err: KafkaError) -> DeadLetter:
    assert out.origin is not None
    return dead_letter_for(
        out.origin,
        reason="sink_error",
        stage="sink",
        message=f"sink {out.sink} (topic {out.topic}) refused the record: {err.str()}",
    )
