"""EventProducer: the application SDK's client for one topic, synchronous with futures.

A background thread serves librdkafka's delivery reports, so futures and callbacks
complete without the application calling poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from pydantic import BaseModel

from connectors.kafka_config import producer_config
from stream_engine.errors import ConfigError
from stream_engine.producer.errors import DeliveryError, ProduceError, describe_key
from stream_engine.producer.events import NO_KEY, EventEncoder
from stream_engine.serde import Format
from stream_engine.settings import Settings, load_settings

LOG = logging.getLogger("stream_engine.producer")

SDK_DEFAULTS: dict[str, Any] = {
    "linger.ms": 10,  # a short wait fills batches without a noticeable delay
    "batch.size": 512 * 1024,
    "compression.type": "lz4",
    "message.timeout.ms": 120_000,  # the Java clients' delivery timeout; librdkafka's is 5 minutes
}
"""On top of `producer_config` (acks=all, idempotence, murmur2); `config=` overrides."""

_HINTS = {
    "_MSG_TIMED_OUT": "; check that the topic exists (brokers here do not create topics) "
    "and that the cluster is reachable",
    "_UNKNOWN_TOPIC": "; topics are not created on first use: create it first",
}

Headers = Mapping[str, str | bytes] | Sequence[tuple[str, str | bytes]]


@dataclass(frozen=True)
class Delivery:
    """Where the broker stored an event."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    timestamp_ms: int


DeliveryCallback = Callable[[Delivery | None, DeliveryError | None], None]


class EventProducer:
    """Sends events (pydantic models or mappings) to one topic as JSON or Avro.

    `send` validates and encodes at once (InvalidEventError, nothing sent) and returns a
    future of the Delivery; a broker failure fails the future with DeliveryError.
    Closing (or leaving the `with` block) flushes.
    """

    def __init__(
        self,
        topic: str,
        *,
        format: Format = "json",
        schema: Path | str | None = None,
        schema_id: int | None = None,
        schema_dir: Path | str | None = None,
        model: type[BaseModel] | None = None,
        key_field: str | None = None,
        settings: Settings | None = None,
        config: Mapping[str, Any] | None = None,
        close_timeout_s: float = 30.0,
    ) -> None:
        self.topic = topic
        self._encoder = EventEncoder(
            topic,
            format,
            schema=schema,
            schema_id=schema_id,
            schema_dir=schema_dir,
            model=model,
            key_field=key_field,
        )
        conf = producer_config(settings or load_settings(), **{**SDK_DEFAULTS, **(config or {})})
        try:
            self._producer = Producer(conf)
        except KafkaException as exc:
            why = exc.args[0].str() if exc.args and isinstance(exc.args[0], KafkaError) else exc
            raise ConfigError(f"invalid producer config for topic {topic!r}: {why}") from None
        self._close_timeout_s = close_timeout_s
        self._closed = False
        # Events handed to librdkafka and not yet reported: its queue length also counts
        # protocol requests (e.g. the idempotent producer's InitProducerId), so not that.
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self._stop = threading.Event()
        self._poller = threading.Thread(
            target=self._serve_reports, name=f"producer-{topic}", daemon=True
        )
        self._poller.start()

    def send(
        self,
        event: BaseModel | Mapping[str, Any],
        *,
        key: Any = NO_KEY,
        headers: Headers | None = None,
        timestamp_ms: int | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> Future[Delivery]:
        """Queue one event; blocks only while librdkafka's queue is full."""
        key_bytes, value = self.encode(event, key)
        while True:
            future = self.enqueue(key_bytes, value, headers, timestamp_ms, on_delivery)
            if future is not None:
                return future
            self._producer.poll(0.05)  # queue full: wait for deliveries to make room

    def send_and_wait(
        self,
        event: BaseModel | Mapping[str, Any],
        *,
        key: Any = NO_KEY,
        headers: Headers | None = None,
        timestamp_ms: int | None = None,
        timeout_s: float | None = None,
    ) -> Delivery:
        """Send one event and wait for the broker's acknowledgement (DeliveryError if none)."""
        return self.send(event, key=key, headers=headers, timestamp_ms=timestamp_ms).result(
            timeout_s
        )

    def encode(
        self, event: BaseModel | Mapping[str, Any], key: Any = NO_KEY
    ) -> tuple[bytes | None, bytes]:
        """Validate and encode without sending: (key bytes, value bytes)."""
        self._check_open()
        return self._encoder.encode(event, key)

    def enqueue(
        self,
        key: bytes | None,
        value: bytes,
        headers: Headers | None = None,
        timestamp_ms: int | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> Future[Delivery] | None:
        """Hand encoded bytes to librdkafka; None when its queue is full (try again later)."""
        self._check_open()
        future: Future[Delivery] = Future()
        future.set_running_or_notify_cancel()

        def report(err: KafkaError | None, msg: Message) -> None:
            with self._in_flight_lock:
                self._in_flight -= 1
            self._report(future, key, on_delivery, err, msg)

        extra: dict[str, Any] = {}
        if headers:
            extra["headers"] = list(headers.items()) if isinstance(headers, Mapping) else headers
        if timestamp_ms is not None:
            extra["timestamp"] = timestamp_ms
        with self._in_flight_lock:
            self._in_flight += 1
        try:
            self._producer.produce(self.topic, value, key, on_delivery=report, **extra)
        except (BufferError, KafkaException) as exc:
            with self._in_flight_lock:
                self._in_flight -= 1
            if isinstance(exc, BufferError):
                return None
            raise self._failure(key, exc.args[0] if exc.args else None, str(exc)) from None
        return future

    def flush(self, timeout_s: float | None = None) -> int:
        """Wait for every queued event's acknowledgement; return how many are still pending."""
        self._producer.flush(-1 if timeout_s is None else timeout_s)
        with self._in_flight_lock:
            return self._in_flight

    def close(self, timeout_s: float | None = None) -> None:
        """Flush, then stop. Events still unacknowledged after the timeout fail their futures
        and raise ProduceError, so nothing is lost silently."""
        if self._closed:
            return
        self._closed = True
        timeout = self._close_timeout_s if timeout_s is None else timeout_s
        pending = self.flush(timeout)
        if pending:
            self._producer.purge()  # their futures fail with a purge error
            self._producer.flush(5)
        self._stop.set()
        self._poller.join()
        if pending:
            raise ProduceError(
                f"{pending} event(s) for topic {self.topic!r} not acknowledged "
                f"within {timeout:g}s: dropped, their futures failed with DeliveryError",
                topic=self.topic,
                key=None,
            )

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        try:  # keep the application's own exception as the one that propagates
            self.close()
        except ProduceError as failure:
            LOG.error("%s", failure)

    def _check_open(self) -> None:
        if self._closed:
            raise ProduceError(
                f"the producer for topic {self.topic!r} is closed", topic=self.topic, key=None
            )

    def _serve_reports(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.1)

    def _report(
        self,
        future: Future[Delivery],
        key: bytes | None,
        callback: DeliveryCallback | None,
        err: KafkaError | None,
        msg: Message,
    ) -> None:
        delivery: Delivery | None = None
        error: DeliveryError | None = None
        if err is None:
            partition, offset = msg.partition(), msg.offset()
            assert partition is not None and offset is not None  # set on every delivered message
            delivery = Delivery(self.topic, partition, offset, key, msg.timestamp()[1])
            future.set_result(delivery)
        else:
            error = self._failure(key, err, err.str())
            future.set_exception(error)
        if callback is not None:
            try:
                callback(delivery, error)
            except Exception:  # an exception here would stop librdkafka's poll loop
                LOG.exception("delivery callback for topic %s failed", self.topic)

    def _failure(self, key: bytes | None, err: KafkaError | None, text: str) -> DeliveryError:
        code = err.name() if isinstance(err, KafkaError) else "UNKNOWN"
        retriable = bool(err.retriable()) if isinstance(err, KafkaError) else False
        hint = _HINTS.get(code, "")
        return DeliveryError(
            f"event with {describe_key(key)} was not delivered to topic {self.topic!r}: "
            f"{text} ({code}){hint}",
            topic=self.topic,
            key=key,
            code=code,
            retriable=retriable,
        )
