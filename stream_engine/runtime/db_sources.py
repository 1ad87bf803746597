"""Extractors of the worker: new rows of `type: postgres` sources, polled into their topics.

Kappa: the extractor only fills the source's topic; the worker consumes that topic like any
JSON source, so decoding, quality, enrichment, windows and dead letters apply unchanged and
`replay` reads the same records without the database.

The cursor lives in the compacted topic CURSOR_TOPIC (one entry per table and topic), not
under --datadir: a Kubernetes pod's data directory is an emptyDir that a restart or a
reschedule loses, and a lost cursor would extract the whole table again. The topic lives
beside the rows it describes and survives any pod. A cursor is saved only after the broker
acknowledged its page, so a crash re-sends at most one page, never skips one.

A database that goes away is retried with backoff (logged, cursor kept) in the extractor's
own thread: the worker keeps consuming, and /ready never depends on the database.
Of several replicas, one extracts (ExtractorLease); the others stand by.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

import orjson
from confluent_kafka import Consumer, KafkaError, Message, Producer
from confluent_kafka.admin import AdminClient

from connectors.base import mask_dsn
from connectors.cursor_store import Cursor
from connectors.kafka_admin import TopicRequest, ensure_topics
from connectors.kafka_changelog import read_partition
from connectors.kafka_config import consumer_config, producer_config
from connectors.postgres_source import PostgresIncrementalSource
from connectors.sql.types import parse_timestamp
from stream_engine.errors import BrokerError, StreamEngineError
from stream_engine.producer import EventProducer
from stream_engine.producer.client import Delivery
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.spec.db_sources import CURSOR_TOPIC, PostgresSourceSpec, database_sources

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0


def extract_topic_requests(spec: PipelineSpec) -> list[TopicRequest]:
    """The topics postgres sources fill, and the cursor topic; created when missing."""
    d = spec.defaults
    config = {"cleanup.policy": "delete"}
    if d.retention is not None:
        config["retention.ms"] = str(d.retention.ms)
    requests = [
        TopicRequest(s.topic, d.partitions, d.replication, dict(config))
        for s in database_sources(spec.sources).values()
    ]
    if requests:
        requests.append(TopicRequest(CURSOR_TOPIC, 1, d.replication, {"cleanup.policy": "compact"}))
    return requests


def ensure_extract_topics(admin: AdminClient, spec: PipelineSpec) -> None:
    """Create the topics postgres sources fill (and the cursor topic) before the source check."""
    requests = extract_topic_requests(spec)
    created = ensure_topics(admin, requests) if requests else []
    if created:
        log.info("created topics for postgres sources: %s", ", ".join(created))


class TopicCursorStore:
    """Cursors as entries of a compacted topic: key the cursor's name, value its JSON."""

    def __init__(self, settings: Settings, topic: str = CURSOR_TOPIC) -> None:
        self._settings = settings
        self._topic = topic
        self._producer = Producer(producer_config(settings))

    def load(self, name: str) -> Cursor | None:
        found = None
        for key, value in read_partition(self._settings, self._topic, 0, timeout_s=60):
            if key == name:
                found = value  # the last entry wins; None: deleted
        return None if found is None else Cursor.from_json(found)

    def save(self, name: str, cursor: Cursor) -> None:
        failed: list[KafkaError] = []

        def report(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                failed.append(err)

        value = orjson.dumps(cursor.to_json())
        self._producer.produce(
            self._topic, key=name.encode(), value=value, partition=0, on_delivery=report
        )
        if self._producer.flush(30) or failed:
            why = failed[0].str() if failed else "no acknowledgement within 30s"
            raise BrokerError(f"cannot save the cursor of {name} in {self._topic}: {why}")

    def close(self) -> None:
        self._producer.flush(10)


class ExtractorLease:
    """Which replica extracts: the member of a consumer group that owns CURSOR_TOPIC[0].

    Every replica of a worker starts the extractor; the group hands the topic's only
    partition to one of them, and to another when that one stops or dies.
    """

    def __init__(self, settings: Settings, cursor_name: str) -> None:
        group = f"stream-engine.extract.{cursor_name}"
        self._consumer = Consumer(consumer_config(settings, group))
        self._consumer.subscribe([CURSOR_TOPIC])

    def held(self) -> bool:
        self._consumer.poll(0)  # serves the group protocol: joins and rebalances
        return bool(self._consumer.assignment())

    def close(self) -> None:
        self._consumer.close()


class TableExtractor:
    """One background thread polling one table into its topic until `close`."""

    def __init__(self, name: str, source: PostgresSourceSpec, settings: Settings) -> None:
        self.name = name
        self.spec = source
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"extract-{name}", daemon=True)
        self.extracted = 0

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout_s: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        spec = self.spec
        label = f"{spec.table} ({mask_dsn(spec.dsn.get_secret_value())}) -> {spec.topic}"
        store = TopicCursorStore(self._settings)
        producer = EventProducer(spec.topic, key_field=spec.key, settings=self._settings)
        lease = ExtractorLease(self._settings, spec.cursor_name)
        source: PostgresIncrementalSource | None = None
        backoff = 1.0

        def stopping() -> bool:
            return self._stop.is_set() or not lease.held()

        try:
            while not self._stop.is_set():
                if not lease.held():
                    if source is not None:  # another replica took over: its cursor moves on
                        log.info("extractor %s: another replica extracts now", self.name)
                        source.close()
                        source = None
                    self._stop.wait(min(spec.poll.ms / 1000, 0.5))
                    continue
                try:
                    if source is None:
                        source = self._open(store)
                        log.info(
                            "extractor %s: %s from cursor %s",
                            self.name,
                            label,
                            _text(source.cursor),
                        )
                    sent = deliver_pages(source, producer, spec.watermark, stopping)
                    if sent:
                        self.extracted += sent
                        log.info("extractor %s: %d rows into %s", self.name, sent, spec.topic)
                    backoff, wait = 1.0, spec.poll.ms / 1000
                except Exception as exc:  # an extractor retries; it never dies
                    # The page in flight is not saved: a new source reloads the durable cursor.
                    if source is not None:
                        source.close()
                        source = None
                    wait, backoff = backoff, min(backoff * 2, MAX_BACKOFF_S)
                    why = str(exc) if isinstance(exc, StreamEngineError) else repr(exc)
                    log.warning(
                        "extractor %s: %s; retrying in %.0fs (cursor kept)",
                        self.name,
                        mask_dsn(why.splitlines()[0] if why else type(exc).__name__),
                        wait,
                    )
                self._stop.wait(wait)
        finally:
            if source is not None:
                source.close()
            producer.close()
            store.close()
            lease.close()

    def _open(self, store: TopicCursorStore) -> PostgresIncrementalSource:
        spec = self.spec
        source = PostgresIncrementalSource(
            spec.dsn.get_secret_value(),
            spec.table,
            spec.watermark,
            spec.primary_key,
            store,
            page_size=spec.page_size,
            safety_lag_s=spec.safety_lag.ms / 1000,
            retry_for_s=0,  # fail at once: this loop backs off and keeps the worker responsive
            name=spec.cursor_name,
        )
        try:
            skipped = source.null_watermark_rows()
        except StreamEngineError:
            source.close()
            raise
        if skipped:
            log.warning(
                "extractor %s: %d rows of %s have a null %s and are never extracted",
                self.name,
                skipped,
                spec.table,
                spec.watermark,
            )
        return source


def deliver_pages(
    source: PostgresIncrementalSource,
    producer: EventProducer,
    watermark: str,
    stopping: Callable[[], bool],
) -> int:
    """Send every new page; the cursor moves only after the broker acknowledged the page."""
    sent = 0
    for page in source.pages():
        futures: list[Future[Delivery]] = [
            producer.send(row, timestamp_ms=_timestamp_ms(row.get(watermark))) for row in page
        ]
        if producer.flush(60):
            raise BrokerError("the broker did not acknowledge a page within 60s")
        failed = [f.exception() for f in futures if f.exception() is not None]
        if failed:
            raise BrokerError(f"a page was not delivered: {failed[0]}")
        source.commit()
        sent += len(page)
        if stopping():
            break
    return sent


def _text(cursor: Cursor | None) -> str:
    return "none (the table's start)" if cursor is None else f"({cursor.watermark}, {cursor.key})"


def _timestamp_ms(value: object) -> int | None:
    """The watermark as the record's timestamp, when it is a time."""
    if not isinstance(value, str):
        return None
    try:
        stamp = parse_timestamp(value)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return int(stamp.timestamp() * 1000)


def start_extractors(spec: PipelineSpec, settings: Settings) -> list[TableExtractor]:
    extractors = [
        TableExtractor(name, source, settings)
        for name, source in database_sources(spec.sources).items()
    ]
    for extractor in extractors:
        extractor.start()
    return extractors
