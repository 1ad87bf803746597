"""Where a replay writes: Kafka (shadow topics or the live ones), files, or DuckDB.

Every target takes the kept outputs and dead letters of one batch and writes them; the
run ends with `close`, after which everything is durable. Kafka targets reuse the live
worker's Delivery, so refusals and dead-letter envelopes behave exactly as live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import orjson

from connectors.kafka_admin import TopicRequest, ensure_topics, wait_for_cluster
from stream_engine.dlq import DeadLetter
from stream_engine.runtime.delivery import Delivery
from stream_engine.runtime.table_delivery import TableDelivery
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.topology import BatchResult, SinkRecord
from stream_engine.topology.result import TableRow

FLUSH_EVERY = 100_000  # queued records between flushes: bounds memory, not correctness


class Target(Protocol):
    def write(
        self,
        source: str,
        outputs: list[SinkRecord],
        letters: list[DeadLetter],
        rows: Sequence[TableRow] = (),
    ) -> None:
        """Write one batch's kept outputs, dead letters and table/file sink rows."""

    def close(self) -> None:
        """Make everything written durable."""

    def destinations(self) -> dict[str, str]:
        """Where each written topic of the pipeline goes (for the summary)."""

    def refused(self) -> Counter[str]:
        """Outputs a sink refused (then dead-lettered as sink_error), by sink name."""


def shadow_topic(topic: str, run_id: str) -> str:
    return f"{topic}.replay.{run_id}"


class KafkaTarget:
    """Shadow topics `<topic>.replay.<run-id>` (default) or, with `live`, the live topics."""

    def __init__(self, settings: Settings, spec: PipelineSpec, run_id: str, live: bool) -> None:
        self.run_id, self.live = run_id, live
        self._map = {t: t if live else shadow_topic(t, run_id) for t in spec.topics_written()}
        admin = wait_for_cluster(settings)
        requests = [
            TopicRequest(self._topic(t.name), t.partitions, t.replication, dict(t.config))
            for t in spec.topics_to_create()
        ]
        known = {t.name for t in spec.topics_to_create()}
        d = spec.defaults
        requests += [  # written topics without creation settings of their own
            TopicRequest(self._topic(t), d.partitions, d.replication)
            for t in spec.topics_written()
            if t not in known
        ]
        ensure_topics(admin, requests)
        self.delivery = Delivery(settings, spec)
        self.delivery.dlq_topic = self._topic(spec.dead_letter_topic)
        self._queued = 0
        self._refused: Counter[str] = Counter()
        # Table and file sinks: the live tables with --to-live (a backfill, written as the
        # worker writes them), else JSON records on shadow topics `<sink>.replay.<run-id>`.
        self.tables = TableDelivery.from_spec(spec) if live else None
        self._admin, self._defaults = admin, spec.defaults
        self._row_topics: set[str] = set()

    def _topic(self, topic: str) -> str:
        found = self._map.get(topic)
        if found is not None or topic in self._row_topics:
            return found or topic
        return topic if self.live else shadow_topic(topic, self.run_id)

    def write(
        self,
        source: str,
        outputs: list[SinkRecord],
        letters: list[DeadLetter],
        rows: Sequence[TableRow] = (),
    ) -> None:
        if rows:
            if self.tables is not None:
                batch = BatchResult(source, table_rows=list(rows))
                self.tables.deliver([batch], self.delivery)
                # deliver() takes each rejected row off its sink's count: report those
                self._refused.update({s: -n for s, n in batch.counters.out.items() if n < 0})
            else:
                outputs = [*outputs, *self._row_records(rows)]
        if not self.live:
            topic = self._topic
            outputs = [
                SinkRecord(
                    o.sink,
                    topic(o.topic),
                    o.key,
                    o.value,
                    o.timestamp_ms,
                    o.headers,
                    o.record,
                    o.origin,
                )
                for o in outputs
            ]
        self.delivery.send(BatchResult(source, outputs, letters))
        self._queued += len(outputs) + len(letters)
        if self._queued >= FLUSH_EVERY:
            self._flush()

    def _row_records(self, rows: Sequence[TableRow]) -> list[SinkRecord]:
        """Rows of table/file sinks as JSON records on `<sink>.replay.<run-id>` (shadow)."""
        new = {shadow_topic(r.sink, self.run_id) for r in rows} - self._row_topics
        if new:
            d = self._defaults
            ensure_topics(self._admin, [TopicRequest(t, d.partitions, d.replication) for t in new])
            self._row_topics |= new
        return [
            SinkRecord(
                r.sink,
                shadow_topic(r.sink, self.run_id),
                None,
                orjson.dumps(r.values, default=str),
                r.timestamp_ms,
                (),
                r.values,
                r.origin,
            )
            for r in rows
        ]

    def _flush(self) -> None:
        report = self.delivery.flush()
        self._refused.update(out.sink for out in report.rerouted_from)
        self._queued = 0

    def close(self) -> None:
        self._flush()
        self.delivery.close()
        if self.tables is not None:
            self.tables.close()

    def destinations(self) -> dict[str, str]:
        return {t: f"kafka:{self._topic(t)}" for t in self._map}

    def refused(self) -> Counter[str]:
        return self._refused
