"""Build the Faust app: one agent per source, micro-batches acked only after delivery.

`noack_take` is used instead of `take` because `take` acks its buffer even when the
loop body raises (faust-streaming#315); here events are acked explicitly, after the
broker has acknowledged every output of the batch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
from collections.abc import Callable
from typing import Any

import faust

from stream_engine.errors import StateError
from stream_engine.runtime.readiness import by_topic
from stream_engine.runtime.runner import BatchRunner
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.topology import Record
from stream_engine.topology.quality_step import QualityHalt

log = logging.getLogger(__name__)


def broker_urls(settings: Settings) -> list[str]:
    servers = settings.kafka_bootstrap_servers or ""
    return [f"kafka://{s.strip()}" for s in servers.split(",") if s.strip()]


def broker_credentials(settings: Settings) -> Any:
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_ca_file) if settings.kafka_ssl_ca_file else None
        )
        if settings.kafka_ssl_cert_file:
            password = settings.kafka_ssl_key_password
            context.load_cert_chain(
                str(settings.kafka_ssl_cert_file),
                str(settings.kafka_ssl_key_file) if settings.kafka_ssl_key_file else None,
                password.get_secret_value() if password else None,
            )
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    password = settings.kafka_sasl_password
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=password.get_secret_value() if password else None,
        mechanism=settings.kafka_sasl_mechanism or "PLAIN",
        ssl_context=context,
    )


def _record(event: Any) -> Record:
    msg = event.message
    headers = msg.headers or ()
    if isinstance(headers, dict):
        headers = headers.items()
    return Record(
        key=msg.key,
        value=msg.value,
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        timestamp_ms=round(msg.timestamp * 1000),
        headers=tuple((str(k), v if isinstance(v, bytes) else None) for k, v in headers),
    )


async def _finish(work: asyncio.Future[None]) -> None:
    try:
        await work
    except Exception as exc:
        _die(exc)


def _die(exc: BaseException, during: str = "a delivery failure") -> None:
    """Stop at once without acking: the batch's offsets stay uncommitted, nothing is lost."""
    if isinstance(exc, QualityHalt | StateError):  # the message says what and how to go on
        log.critical("worker stopping: %s", exc)
    else:
        log.critical("worker stopping on %s: %s", during, exc)
    logging.shutdown()
    os._exit(70)


def build_app(
    spec: PipelineSpec,
    settings: Settings,
    runner: BatchRunner,
    heartbeat: Callable[[], None],
    datadir: str,
) -> faust.App:
    app = faust.App(
        spec.group_id,
        broker=broker_urls(settings),
        broker_credentials=broker_credentials(settings),
        web_enabled=False,
        datadir=datadir,
        topic_allow_declare=False,
        topic_disable_leader=True,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        broker_commit_every=10_000,
        broker_commit_interval=1.0,
        broker_max_poll_records=max(spec.worker.batch_size, 500),
        stream_buffer_maxsize=max(4 * spec.worker.batch_size, 4096),
        producer_acks=-1,
    )
    batch_size = spec.worker.batch_size
    within = spec.worker.batch_wait.ms / 1000
    loop_lock = asyncio.Lock()

    for name, source in spec.sources.items():
        topic = app.topic(source.topic, key_type=bytes, value_type=bytes)

        async def agent(stream: Any, source_name: str = name) -> None:
            waiting_since = time.perf_counter()
            async for events in stream.noack_take(batch_size, within=within):
                runner.metrics.observe_broker_wait(source_name, time.perf_counter() - waiting_since)
                records = [_record(e) for e in events]
                async with loop_lock:  # one batch at a time: the producer is shared
                    work = asyncio.ensure_future(
                        asyncio.to_thread(runner.process, source_name, records)
                    )
                    try:
                        await asyncio.shield(work)
                    except asyncio.CancelledError:
                        # Shutdown: finish the batch in flight, ack it, then stop.
                        await _finish(work)
                        for event in events:
                            await stream.ack(event)
                        raise
                    except Exception as exc:
                        _die(exc)
                for event in events:
                    await stream.ack(event)
                waiting_since = time.perf_counter()

        app.agent(topic, name=f"{spec.group_id}.{name}")(agent)

    async def on_revoked(_sender: Any, revoked: Any, **_kwargs: Any) -> None:
        # Another worker may own these partitions now: their window state must be
        # restored from the changelog again if they ever come back.
        for topic, partitions in by_topic(revoked).items():
            await asyncio.to_thread(runner.forget_partitions, topic, partitions)

    async def on_assigned(_sender: Any, assigned: Any, **_kwargs: Any) -> None:
        # The full assignment (eager rebalancing); partitions kept from before are no-ops.
        try:
            for topic, partitions in by_topic(assigned).items():
                await asyncio.to_thread(runner.assign_partitions, topic, partitions)
        except Exception as exc:  # Faust would log a traceback and carry on without state
            _die(exc, "restoring state")

    app.on_partitions_revoked.connect(on_revoked, weak=False)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(on_assigned, weak=False)  # type: ignore[arg-type]

    @app.timer(interval=1.0)  # type: ignore[untyped-decorator]
    async def beat() -> None:
        heartbeat()
        if any(w.idle_timeout_ms for w in runner.topology.windows):
            async with loop_lock:
                try:
                    await asyncio.to_thread(runner.idle_tick)
                except Exception as exc:
                    _die(exc)

    return app
