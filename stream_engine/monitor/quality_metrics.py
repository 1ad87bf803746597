"""Prometheus metrics of in-stream quality checks (names documented in docs/quality.md).

- ``stream_engine_quality_checks_total{pipeline,rule,severity}``: verdicts given (one per
  rule per closed window and partition)
- ``stream_engine_quality_checks_failed_total{pipeline,rule,severity}``: verdicts failed
- ``stream_engine_quality_score{pipeline}``: the share of passing rules among the latest
  verdict of every (source, partition, rule), 0..1 (1 before any verdict)

A collector of its own rather than prometheus_client's Counter: the exposition shows
exactly these series, without the ``_created`` companions a Counter adds.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from stream_engine.topology import BatchResult
from stream_engine.topology.quality_step import QUALITY_SINK

_LABELS = ["pipeline", "rule", "severity"]


class QualityMetrics(Collector):
    """Counts the quality verdicts a batch carries to the quality topic."""

    def __init__(self, pipeline: str, registry: CollectorRegistry) -> None:
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._checks: Counter[tuple[str, str]] = Counter()  # (rule, severity)
        self._failed: Counter[tuple[str, str]] = Counter()
        self._latest: dict[tuple[str, int, str], bool] = {}  # (source, partition, rule)
        registry.register(self)

    def observe(self, result: BatchResult) -> None:
        if not result.counters.out.get(QUALITY_SINK):  # most batches close no quality window
            return
        verdicts = [out.record for out in result.outputs if out.sink == QUALITY_SINK]
        if not verdicts:
            return
        with self._lock:
            for verdict in verdicts:
                if verdict is not None:
                    self._count(verdict)

    def _count(self, verdict: dict[str, Any]) -> None:
        key = (str(verdict["rule"]), str(verdict["severity"]))
        passed = bool(verdict["passed"])
        self._checks[key] += 1
        if not passed:
            self._failed[key] += 1
        where = (str(verdict["source"]), int(verdict["partition"]), key[0])
        self._latest[where] = passed

    def forget(self, source: str, partitions: set[int]) -> None:
        """Partitions this worker no longer owns leave the score (their new owner reports them)."""
        with self._lock:
            for where in [w for w in self._latest if w[0] == source and w[1] in partitions]:
                del self._latest[where]

    @property
    def score(self) -> float:
        with self._lock:
            latest = list(self._latest.values())
        return sum(latest) / len(latest) if latest else 1.0

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            checks, failed = dict(self._checks), dict(self._failed)
        total = CounterMetricFamily(
            "stream_engine_quality_checks",
            "Quality verdicts given, one per rule per closed window and partition.",
            labels=_LABELS,
        )
        failures = CounterMetricFamily(
            "stream_engine_quality_checks_failed",
            "Quality verdicts that failed.",
            labels=_LABELS,
        )
        for (rule, severity), n in sorted(checks.items()):
            total.add_metric([self.pipeline, rule, severity], n)
            failures.add_metric([self.pipeline, rule, severity], failed.get((rule, severity), 0))
        yield total
        yield failures
        score = GaugeMetricFamily(
            "stream_engine_quality_score",
            "Share of quality rules passing in their latest verdict (0..1).",
            labels=["pipeline"],
        )
        score.add_metric([self.pipeline], self.score)
        yield score
