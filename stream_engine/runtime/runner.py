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
from stream_engine.topology import BatchCounters, MicroBatch, Record, Topology

log = logging.getLogger(__name__)


class BatchRunner:
    def __init__(self, topology: Topology, delivery: Delivery, metrics: PipelineMetrics) -> None:
        self.topology = topology
        self.delivery = delivery
        self.metrics = metrics
        self.totals = BatchCounters()
        self._lock = threading.Lock()  # batches and rebalances never overlap

    def forget_partitions(self, topic: str, partitions: set[int]) -> None:
        with self._lock:
            self.topology.forget_partitions(topic, partitions)

    def process(self, source: str, records: Sequence[Record]) -> None:
        """Process records of one source (any partitions) and block until all are delivered."""
        with self._lock:
            self._process(source, records)

    def _process(self, source: str, records: Sequence[Record]) -> None:
        by_partition: dict[int, list[Record]] = {}
        for rec in records:
            by_partition.setdefault(rec.partition, []).append(rec)
        results = []
        for partition in sorted(by_partition):
            batch = MicroBatch(source, by_partition[partition])
            result = self.topology.process(batch)
            self.delivery.send(result)
            results.append(result)
        began = time.perf_counter()
        report = self.delivery.flush()
        # Window state goes out only once the results it accounts for are acknowledged:
        # a crash in between re-emits results (idempotent keys), never loses them.
        changelog = [entry for result in results for entry in result.changelog]
        if changelog:
            self.delivery.send_changelog(changelog)
            self.delivery.flush()
        self.metrics.observe_step("commit", time.perf_counter() - began)
        for result in results:
            self.metrics.observe(result)
            self.totals.add(result.counters)
        for letter in report.rerouted:
            self.metrics.dead_letters.labels(self.metrics.pipeline, "sink", "sink_error").inc()
            log.warning("sink refused a record; dead-lettered: %s", letter.message)
