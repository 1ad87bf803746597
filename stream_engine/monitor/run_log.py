"""`worker --run-log PATH`: one JSON line per interval, written from a background thread.

Everything comes from what the worker already counts (the Prometheus registry and the
per-source totals), as differences between two reads: the hot path does no extra work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from prometheus_client.metrics import MetricWrapperBase

from stream_engine.errors import ConfigError
from stream_engine.monitor.lag import GroupLag
from stream_engine.monitor.memory import peak_rss_bytes, rss_bytes
from stream_engine.monitor.metrics import PipelineMetrics
from stream_engine.monitor.run_log_format import (
    IntervalLine,
    LagLine,
    Memory,
    PartitionLagLine,
    PartitionRecords,
    SourceInterval,
    StartLine,
    StopLine,
    _Line,
)
from stream_engine.topology import BatchCounters

Reading = dict[tuple[str, ...], float]


class RunLogWriter:
    def __init__(
        self,
        path: Path,
        metrics: PipelineMetrics,
        start: StartLine,
        latest_lag: Callable[[], GroupLag | None] = lambda: None,
    ) -> None:
        self.metrics = metrics
        self.latest_lag = latest_lag
        self._sources = list(start.sources)  # every line names every source, even idle
        try:
            self._file: IO[str] = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write the run log {path}: {exc.strerror}") from None
        self._lock = threading.Lock()
        self._last_time = time.time()
        self._last = self._read()
        self._write(start)

    def _read(self) -> tuple[dict[str, BatchCounters], dict[str, Reading]]:
        m = self.metrics
        readings = {
            "steps": _samples(m.step_seconds, "_sum"),
            "batches": _samples(m.batch_size, "_count"),
            "wait": _samples(m.broker_wait, "_total"),
            "processing": _samples(m.processing, "_total"),
            "partitions": _samples(m.partition_records_in, "_total"),
        }
        return m.totals_by_source(), readings

    def write_interval(self) -> None:
        with self._lock:  # the background thread and close() at shutdown
            self._write_interval()

    def _write_interval(self) -> None:
        now = time.time()
        totals, readings = self._read()
        last_totals, last = self._last
        self._last, interval = (totals, readings), max(now - self._last_time, 1e-9)
        self._last_time = now
        d = {name: _delta(readings[name], last[name]) for name in readings}
        sources = {}
        for source in sorted(set(self._sources) | set(totals) | {k[1] for k in d["wait"]}):
            c = totals.get(source, BatchCounters())
            before = last_totals.get(source, BatchCounters())
            sources[source] = SourceInterval(
                records_in=c.records_in - before.records_in,
                records_out=sum(c.out.values()) - sum(before.out.values()),
                passed=c.passed - before.passed,
                filtered=sum(c.filtered.values()) - sum(before.filtered.values()),
                dropped=sum(c.dropped.values()) - sum(before.dropped.values()),
                dead=sum(c.dead.values()) - sum(before.dead.values()),
                batches=round(d["batches"].get((self.metrics.pipeline, source), 0)),
                broker_wait_s=d["wait"].get((self.metrics.pipeline, source), 0.0),
                processing_s=d["processing"].get((self.metrics.pipeline, source), 0.0),
            )
        self._write(
            IntervalLine(
                type="interval",
                time=now,
                interval_s=interval,
                sources=sources,
                steps={key[1]: v for key, v in sorted(d["steps"].items())},
                partitions=[
                    PartitionRecords(source=k[1], partition=int(k[2]), records_in=round(v))
                    for k, v in sorted(d["partitions"].items())
                    if v
                ],
                memory=Memory(rss_bytes=rss_bytes(), peak_rss_bytes=peak_rss_bytes()),
                lag=_lag_line(self.latest_lag()),
            )
        )

    def close(self) -> None:
        with self._lock:
            self._write_interval()
            self._write(StopLine(type="stop", time=time.time()))
            self._file.close()

    def _write(self, line: _Line) -> None:
        self._file.write(line.model_dump_json() + "\n")
        self._file.flush()


def _samples(metric: MetricWrapperBase, suffix: str) -> Reading:
    """Values of one sample kind of a metric, keyed by label values."""
    out: Reading = {}
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                out[tuple(sample.labels.values())] = sample.value  # in label-name order
    return out


def _delta(now: Reading, before: Reading) -> Reading:
    return {k: v - before.get(k, 0.0) for k, v in now.items()}


def _lag_line(lag: GroupLag | None) -> LagLine | None:
    if lag is None:
        return None
    return LagLine(
        time=lag.time,
        status=lag.status.value,
        partitions=[
            PartitionLagLine(
                topic=p.topic,
                partition=p.partition,
                committed=p.committed,
                high_watermark=p.high_watermark,
                lag_messages=p.lag_messages or 0,
                lag_seconds=p.lag_seconds,
                status=(p.status.value if p.status else "OK"),
            )
            for p in lag.partitions
            if p.committed is not None
        ],
    )
