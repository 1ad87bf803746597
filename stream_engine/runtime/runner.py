"""The runtime-neutral batch loop: split by partition, process, deliver, account.

Both the live worker and replays call `BatchRunner`; it never imports faust.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from stream_engine.monitor import PipelineMetrics
from stream_engine.runtime.delivery import Delivery
from stream_engine.runtime.readiness import Readiness
from stream_engine.runtime.table_delivery import TableDelivery
from stream_engine.topology import (
    BatchCounters,
    BatchResult,
    MicroBatch,
    Record,
    SinkRecord,
    Topology,
)

log = logging.getLogger(__name__)


class BatchRunner:
    def __init__(
        self,
        topology: Topology,
        delivery: Delivery,
        metrics: PipelineMetrics,
        readiness: Readiness | None = None,
        tables: TableDelivery | None = None,
    ) -> None:
        self.topology = topology
        self.tables = tables  # database and file sinks, written before the commit
        self.readiness = readiness or Readiness()
        self.delivery = delivery
        self.metrics = metrics
        self.totals = BatchCounters()
        self._lock = threading.Lock()  # batches and rebalances never overlap
        # (window, partition) -> (monotonic time of its last record, watermark then)
        self._last_seen: dict[tuple[str, int], tuple[float, int]] = {}

    def idle_tick(self) -> None:
        """Advance the watermark of partitions silent for longer than a window's idle_timeout.

        The watermark moves by the wall-clock time since the partition's last record, so
        windows of a quiet partition still close. This depends on timing: replays cannot
        reproduce it, which is why it is opt-in per window.
        """
        now = time.monotonic()
        due: list[tuple[str, int, int]] = []
        with self._lock:
            for window in self.topology.windows:
                if window.idle_timeout_ms is None:
                    continue
                for (name, partition), state in self.topology.window_states.items():
                    seen = self._last_seen.get((name, partition))
                    if name != window.name or seen is None or state.watermark is None:
                        continue
                    silent_ms = int((now - seen[0]) * 1000)
                    if silent_ms >= window.idle_timeout_ms:
                        due.append((name, partition, seen[1] + silent_ms))
            if not due:
                return
            results = [self.topology.advance_watermark(*args) for args in due]
            self._deliver([r for r in results if r.outputs or r.changelog or r.dead_letters])

    def assign_partitions(self, topic: str, partitions: set[int]) -> None:
        """Restore the window state of newly assigned partitions now, not at their first batch,
        so /ready turns true only once the worker can process them at full speed."""
        if topic not in {s.topic for s in self.topology.spec.sources.values()}:
            return
        tps = [(topic, p) for p in partitions]
        self.readiness.restoring(tps)
        with self._lock:
            for window in self.topology.windows:
                if self.topology.spec.sources[window.source].topic == topic:
                    for partition in sorted(partitions):
                        self.topology.window_state(window.name, partition)
            sources = [n for n, s in self.topology.spec.sources.items() if s.topic == topic]
            for step in self.topology.quality_steps:
                for source in (s for s in sources if s in step.checkers):
                    for partition in sorted(partitions):
                        step.state(source, partition)  # dedup keys, windows, anomaly history
        self.readiness.restored(tps)

    def forget_partitions(self, topic: str, partitions: set[int]) -> None:
        with self._lock:
            self.topology.forget_partitions(topic, partitions)
        for name, source in self.topology.spec.sources.items():
            if source.topic == topic:
                self.metrics.quality.forget(name, partitions)
        self.readiness.revoked((topic, p) for p in partitions)

    def process(self, source: str, records: Sequence[Record]) -> None:
        """Process records of one source (any partitions) and block until all are delivered."""
        with self._lock:
            began = time.perf_counter()
            self._process(source, records)
            self.metrics.observe_processing(source, time.perf_counter() - began)

    def _process(self, source: str, records: Sequence[Record]) -> None:
        by_partition: dict[int, list[Record]] = {}
        for rec in records:
            by_partition.setdefault(rec.partition, []).append(rec)
        results = []
        now = time.monotonic()
        for partition in sorted(by_partition):
            batch = MicroBatch(source, by_partition[partition])
            self.metrics.observe_partition(source, partition, len(batch.records))
            result = self.topology.process(batch)
            results.append(result)
            for window in self.topology.windows:
                state = self.topology.window_states.get((window.name, partition))
                if window.source == source and state is not None and state.watermark is not None:
                    self._last_seen[(window.name, partition)] = (now, state.watermark)
        self._deliver(results)

    def _deliver(self, results: list[BatchResult]) -> None:
        for result in results:
            self.delivery.send(result)
        if self.tables is not None:  # rows durable in the database before the batch commits
            self.tables.deliver(results, self.delivery)
        began = time.perf_counter()
        report = self.delivery.flush()
        # Window state goes out only once the results it accounts for are acknowledged:
        # a crash in between re-emits results (idempotent keys), never loses them.
        changelog = [entry for result in results for entry in result.changelog]
        if changelog:
            self.delivery.send_changelog(changelog)
            self.delivery.flush()
        self.metrics.observe_step("commit", time.perf_counter() - began)
        _account_refusals(results, report.rerouted_from)
        for letter in report.rerouted:
            log.warning("sink refused a record; dead-lettered: %s", letter.message)
        for result in results:
            self.metrics.observe(result)
            self.totals.add(result.counters)


def _account_refusals(results: list[BatchResult], refused: list[SinkRecord]) -> None:
    """A record a sink refused is a dead letter, not an output, in the batch's counters."""
    for out in refused:
        origin = out.origin
        for result in results:
            if origin is not None and any(o.origin is origin for o in result.outputs):
                counters = result.counters
                counters.out[out.sink] -= 1
                counters.passed -= 1
                counters.dead[("sink", "sink_error")] += 1
                break
