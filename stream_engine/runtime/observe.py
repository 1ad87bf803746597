"""The worker watching itself: its group's lag on /metrics, and the optional run log.

One background thread samples the group's offsets (the same admin requests the
standalone `stream-engine monitor` makes) and writes run-log lines; batches never wait
for it.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from connectors.kafka_admin import topic_partitions
from connectors.kafka_group_offsets import GroupOffsetsReader
from stream_engine.monitor.lag import LagTracker
from stream_engine.monitor.lag_metrics import LagCollector
from stream_engine.monitor.lag_sampler import Every, LagSampler
from stream_engine.monitor.metrics import PipelineMetrics
from stream_engine.monitor.run_log import RunLogWriter
from stream_engine.monitor.run_log_format import SourceInfo, StartLine
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec

LAG_INTERVAL_S = 5.0
WINDOW_INTERVALS = 12  # the status window is this many lag samples


class WorkerObserver:
    def __init__(
        self,
        spec: PipelineSpec,
        settings: Settings,
        metrics: PipelineMetrics,
        runtime: str,
        run_log: Path | None = None,
        run_log_interval_s: float = 10.0,
    ) -> None:
        topics = [s.topic for s in spec.sources.values()]
        reader = GroupOffsetsReader(settings, spec.group_id, topics)
        # Lag is sampled at least every LAG_INTERVAL_S, in steps that divide the log interval.
        self._log_every = math.ceil(run_log_interval_s / LAG_INTERVAL_S) if run_log else 0
        tick = run_log_interval_s / self._log_every if run_log else LAG_INTERVAL_S
        collector = LagCollector(spec.pipeline)
        metrics.registry.register(collector)
        self.sampler = LagSampler(
            LagTracker(spec.group_id, tick * WINDOW_INTERVALS), reader.snapshot, collector.set
        )
        self.writer: RunLogWriter | None = None
        if run_log is not None:
            partitions = topic_partitions(reader.admin, topics)
            start = StartLine(
                type="start",
                time=time.time(),
                pipeline=spec.pipeline,
                group=spec.group_id,
                runtime=runtime,
                batch_size=spec.worker.batch_size,
                batch_wait_ms=spec.worker.batch_wait.ms,
                interval_s=run_log_interval_s,
                sources={
                    name: SourceInfo(topic=s.topic, partitions=partitions.get(s.topic, 0))
                    for name, s in spec.sources.items()
                },
            )
            self.writer = RunLogWriter(run_log, metrics, start, lambda: self.sampler.latest)
        self._ticks = 0
        self._thread = Every(tick, self._tick, "stream-engine-observer")

    def start(self) -> None:
        self._thread.start()

    def _tick(self) -> None:
        self._ticks += 1
        self.sampler.sample_quietly()
        if self.writer is not None and self._ticks % self._log_every == 0:
            self.writer.write_interval()

    def close(self) -> None:
        self._thread.close()
        if self.writer is not None:
            self.writer.close()
