"""Consumer lag as Prometheus metrics, built from the latest GroupLag at scrape time.

A custom collector rather than Gauge objects: partitions that disappear (a rebalance, a
deleted topic) vanish from the output instead of lingering, and a lag in seconds that
cannot be estimated is simply absent rather than a number someone might alert on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from stream_engine.monitor.lag import GroupLag
from stream_engine.monitor.status import Status

PARTITION_LABELS = ["pipeline", "group", "topic", "partition"]


class LagCollector(Collector):
    def __init__(self, pipeline: str) -> None:
        self.pipeline = pipeline
        self._latest: GroupLag | None = None
        self._lock = threading.Lock()

    def set(self, lag: GroupLag) -> None:
        with self._lock:
            self._latest = lag

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            lag = self._latest
        if lag is None:
            return
        p = self.pipeline
        messages = GaugeMetricFamily(
            "stream_engine_consumer_lag_messages",
            "High watermark minus the group's committed offset.",
            labels=PARTITION_LABELS,
        )
        seconds = GaugeMetricFamily(
            "stream_engine_consumer_lag_seconds",
            "Estimated age of the next record to consume (absent when unknown).",
            labels=PARTITION_LABELS,
        )
        committed = GaugeMetricFamily(
            "stream_engine_consumer_committed_offset",
            "The group's committed offset.",
            labels=PARTITION_LABELS,
        )
        high = GaugeMetricFamily(
            "stream_engine_consumer_high_watermark",
            "The partition's log end offset.",
            labels=PARTITION_LABELS,
        )
        consume = GaugeMetricFamily(
            "stream_engine_consumer_consume_rate",
            "Committed offsets per second over the evaluation window.",
            labels=PARTITION_LABELS,
        )
        produce = GaugeMetricFamily(
            "stream_engine_consumer_produce_rate",
            "Records appended to the partition per second over the evaluation window.",
            labels=PARTITION_LABELS,
        )
        status = GaugeMetricFamily(
            "stream_engine_consumer_partition_status",
            "1 for the partition's current status (OK, WARN, STALL, STOP, REWIND), else 0.",
            labels=[*PARTITION_LABELS, "status"],
        )
        for row in lag.partitions:
            labels = [p, lag.group, row.topic, str(row.partition)]
            high.add_metric(labels, row.high_watermark)
            if row.produce_rate is not None:
                produce.add_metric(labels, row.produce_rate)
            if row.committed is None:
                continue
            committed.add_metric(labels, row.committed)
            messages.add_metric(labels, row.lag_messages or 0)
            if row.lag_seconds is not None:
                seconds.add_metric(labels, row.lag_seconds)
            if row.consume_rate is not None:
                consume.add_metric(labels, row.consume_rate)
            for s in Status:
                status.add_metric([*labels, s.value], 1.0 if row.status == s else 0.0)
        group = GaugeMetricFamily(
            "stream_engine_consumer_group_status",
            "1 for the group's current status (its worst partition's), else 0.",
            labels=["pipeline", "group", "status"],
        )
        current = lag.status
        for s in Status:
            group.add_metric([p, lag.group, s.value], 1.0 if current == s else 0.0)
        yield from (messages, seconds, committed, high, consume, produce, status, group)
