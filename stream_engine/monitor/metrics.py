"""The worker's Prometheus metrics. Names and labels are documented in docs/metrics.md."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from stream_engine.monitor.memory import rss_bytes
from stream_engine.monitor.quality_metrics import QualityMetrics
from stream_engine.topology import BatchCounters, BatchResult

BATCH_BUCKETS = (1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
SECONDS_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class PipelineMetrics:
    """One registry per worker, so tests and several pipelines never share counters."""

    def __init__(self, pipeline: str, registry: CollectorRegistry | None = None) -> None:
        self.pipeline = pipeline
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.quality = QualityMetrics(pipeline, r)  # stream_engine_quality_*
        self.records_in = Counter(
            "stream_engine_records_in", "Records consumed.", ["pipeline", "source"], registry=r
        )
        self.records_out = Counter(
            "stream_engine_records_out",
            "Records produced to a sink.",
            ["pipeline", "sink"],
            registry=r,
        )
        self.dead_letters = Counter(
            "stream_engine_dead_letters",
            "Records sent to the dead-letter topic.",
            ["pipeline", "stage", "reason"],
            registry=r,
        )
        self.filtered = Counter(
            "stream_engine_records_filtered",
            "Records a filter step did not keep.",
            ["pipeline", "step"],
            registry=r,
        )
        self.dropped = Counter(
            "stream_engine_records_dropped",
            "Records dropped by enrich missing: drop.",
            ["pipeline", "step"],
            registry=r,
        )
        self.late = Counter(
            "stream_engine_window_late_records",
            "Records late for all their windows (dead-lettered or sent to the late topic).",
            ["pipeline", "window"],
            registry=r,
        )
        self.partly_late = Counter(
            "stream_engine_window_partly_late_records",
            "Hopping-window records late for some of their windows.",
            ["pipeline", "window"],
            registry=r,
        )
        self.batch_size = Histogram(
            "stream_engine_batch_size",
            "Records per micro-batch.",
            ["pipeline", "source"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.step_seconds = Histogram(
            "stream_engine_step_seconds",
            "Processing time of a step per micro-batch.",
            ["pipeline", "step"],
            buckets=SECONDS_BUCKETS,
            registry=r,
        )
        self.broker_wait = Counter(
            "stream_engine_broker_wait_seconds",
            "Time spent waiting for records from the broker.",
            ["pipeline", "source"],
            registry=r,
        )
        self.processing = Counter(
            "stream_engine_processing_seconds",
            "Time spent processing and delivering batches (steps plus commit).",
            ["pipeline", "source"],
            registry=r,
        )
        self.partition_records_in = Counter(
            "stream_engine_partition_records_in",
            "Records consumed per source partition.",
            ["pipeline", "source", "partition"],
            registry=r,
        )
        self.memory = Gauge(
            "stream_engine_process_memory_bytes",
            "Resident memory of the worker process.",
            ["pipeline"],
            registry=r,
        )
        self.memory.labels(pipeline).set_function(rss_bytes)
        # Per-source totals for the run log, read from another thread.
        self.source_totals: dict[str, BatchCounters] = {}
        self._totals_lock = threading.Lock()

    def observe(self, result: BatchResult) -> None:
        p = self.pipeline
        c = result.counters
        with self._totals_lock:
            self.source_totals.setdefault(result.source, BatchCounters()).add(c)
        self.quality.observe(result)
        self.records_in.labels(p, result.source).inc(c.records_in)
        self.batch_size.labels(p, result.source).observe(c.records_in)
        for sink, n in c.out.items():
            self.records_out.labels(p, sink).inc(n)
        for (stage, reason), n in c.dead.items():
            self.dead_letters.labels(p, stage, reason).inc(n)
        for step, n in c.filtered.items():
            self.filtered.labels(p, step).inc(n)
        for step, n in c.dropped.items():
            self.dropped.labels(p, step).inc(n)
        for window, n in c.late.items():
            self.late.labels(p, window).inc(n)
        for window, n in c.partly_late.items():
            self.partly_late.labels(p, window).inc(n)
        for step, seconds in result.step_seconds.items():
            self.step_seconds.labels(p, step).observe(seconds)

    def observe_step(self, step: str, seconds: float) -> None:
        self.step_seconds.labels(self.pipeline, step).observe(seconds)

    def observe_broker_wait(self, source: str, seconds: float) -> None:
        self.broker_wait.labels(self.pipeline, source).inc(seconds)

    def observe_processing(self, source: str, seconds: float) -> None:
        self.processing.labels(self.pipeline, source).inc(seconds)

    def observe_partition(self, source: str, partition: int, records: int) -> None:
        self.partition_records_in.labels(self.pipeline, source, str(partition)).inc(records)

    def totals_by_source(self) -> dict[str, BatchCounters]:
        """A copy of the per-source totals, safe to read while batches are processed."""
        with self._totals_lock:
            copies = {}
            for source, totals in self.source_totals.items():
                copy = BatchCounters()
                copy.add(totals)
                copies[source] = copy
            return copies
