"""What a run log says: throughput, where the time goes, lag trend, skew, capacity.

Definitions (docs/analyzer.md repeats them):
- per-worker rate: records in / processing seconds, what one worker does when never
  waiting on the broker;
- input rate: records appended to the sources per second (from the high watermarks in
  the lag samples), else the consumed rate when the log has no lag samples;
- current rates: over the last RECENT lag samples;
- workers needed: min(partitions, ceil(input rate / per-worker rate)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from stream_engine.analyzer.loading import RunLog
from stream_engine.monitor.run_log_format import IntervalLine, LagLine

RECENT = 5
COMMIT_STEPS = ("commit", "offset_commit")  # broker round trips paid once per batch


@dataclass(frozen=True)
class StepShare:
    step: str
    seconds: float
    share: float  # of all step time


@dataclass(frozen=True)
class LagTrend:
    first: int
    last: int
    peak: int
    slope: float  # messages/s, least squares over the lag samples
    consume_rate: float | None  # current, messages/s committed by the group
    produce_rate: float | None  # current, messages/s appended to the sources
    catch_up_s: float | None  # 0: caught up; None: not catching up at current rates
    max_lag_seconds: float | None
    series: list[tuple[float, int]]  # (seconds since start, total lag)


@dataclass(frozen=True)
class PartitionLoad:
    source: str
    partition: int
    records_in: int
    lag: int | None


@dataclass(frozen=True)
class Capacity:
    per_worker_rate: float | None
    input_rate: float | None
    input_rate_from: str  # "high watermarks" or "records consumed"
    partitions: int
    workers_needed: int | None
    workers_uncapped: int | None  # ceil(input / per-worker) before the partition cap

    @property
    def capped(self) -> bool:
        return bool(self.workers_uncapped and self.workers_uncapped > self.partitions)


@dataclass(frozen=True)
class Recommendation:
    title: str
    reasoning: str


@dataclass
class RunReport:
    kind: str
    path: str
    pipeline: str
    runtime: str
    batch_size: int
    batch_wait_ms: float
    runtime_s: float
    intervals: int
    records_in: int
    records_out: int
    dead: int
    filtered: int
    dropped: int
    throughput: float  # records in per second over the whole run
    peak_throughput: float
    throughput_series: list[tuple[float, float]]  # (seconds since start, records/s)
    steps: list[StepShare]
    bottleneck: str | None
    broker_wait_s: float
    processing_s: float
    batches: int
    mean_batch_size: float | None
    memory_peak_bytes: float
    memory_first_bytes: float
    memory_last_bytes: float
    lag: LagTrend | None
    partitions: list[PartitionLoad]
    skew: float | None  # busiest partition's records / mean per partition
    capacity: Capacity
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def wait_share(self) -> float | None:
        total = self.broker_wait_s + self.processing_s
        return None if total <= 0 else self.broker_wait_s / total


def analyze_run(log: RunLog) -> RunReport:
    from stream_engine.analyzer.recommend import recommend

    start, lines = log.start, log.intervals
    t0 = start.time
    runtime_s = max(lines[-1].time - t0, 1e-9)

    def total(attr: str) -> int:
        return sum(getattr(s, attr) for line in lines for s in line.sources.values())

    records_in = total("records_in")
    series = [
        (line.time - t0, sum(s.records_in for s in line.sources.values()) / line.interval_s)
        for line in lines
    ]
    step_seconds: dict[str, float] = {}
    for line in lines:
        for step, seconds in line.steps.items():
            step_seconds[step] = step_seconds.get(step, 0.0) + seconds
    step_total = sum(step_seconds.values())
    steps = sorted(
        (
            StepShare(s, v, v / step_total if step_total > 0 else 0.0)
            for s, v in step_seconds.items()
        ),
        key=lambda s: (-s.seconds, s.step),
    )
    batches = total("batches")
    processing_s = sum(s.processing_s for line in lines for s in line.sources.values())
    lag_samples = _lag_samples(lines)
    lag = _lag_trend(lag_samples, t0)
    partitions = _partitions(log, lag_samples)
    loads = [p.records_in for p in partitions]
    skew = max(loads) / (sum(loads) / len(loads)) if len(loads) > 1 and sum(loads) > 0 else None
    report = RunReport(
        kind="run",
        path=str(log.path),
        pipeline=start.pipeline,
        runtime=start.runtime,
        batch_size=start.batch_size,
        batch_wait_ms=start.batch_wait_ms,
        runtime_s=runtime_s,
        intervals=len(lines),
        records_in=records_in,
        records_out=total("records_out"),
        dead=total("dead"),
        filtered=total("filtered"),
        dropped=total("dropped"),
        throughput=records_in / runtime_s,
        peak_throughput=max(r for _, r in series),
        throughput_series=series,
        steps=steps,
        bottleneck=steps[0].step if steps and steps[0].seconds > 0 else None,
        broker_wait_s=sum(s.broker_wait_s for line in lines for s in line.sources.values()),
        processing_s=processing_s,
        batches=batches,
        mean_batch_size=records_in / batches if batches else None,
        memory_peak_bytes=max(max(m.memory.rss_bytes, m.memory.peak_rss_bytes) for m in lines),
        memory_first_bytes=lines[0].memory.rss_bytes,
        memory_last_bytes=lines[-1].memory.rss_bytes,
        lag=lag,
        partitions=partitions,
        skew=skew,
        capacity=_capacity(log, records_in, runtime_s, processing_s, lag_samples),
    )
    report.recommendations = recommend(report)
    return report


def _lag_samples(lines: list[IntervalLine]) -> list[LagLine]:
    seen: dict[float, LagLine] = {}
    for line in lines:
        if line.lag is not None and line.lag.partitions:
            seen[line.lag.time] = line.lag
    return [seen[t] for t in sorted(seen)]


def _totals(sample: LagLine) -> tuple[int, int, int]:
    """(total lag, total committed, total high watermark) of one sample."""
    parts = sample.partitions
    return (
        sum(p.lag_messages for p in parts),
        sum(p.committed for p in parts),
        sum(p.high_watermark for p in parts),
    )


def _lag_trend(samples: list[LagLine], t0: float) -> LagTrend | None:
    if not samples:
        return None
    points = [(s.time - t0, _totals(s)[0]) for s in samples]
    recent = samples[-RECENT:]
    consume = produce = None
    if len(recent) >= 2 and recent[-1].time > recent[0].time:
        span = recent[-1].time - recent[0].time
        _, c0, h0 = _totals(recent[0])
        _, c1, h1 = _totals(recent[-1])
        consume, produce = (c1 - c0) / span, (h1 - h0) / span
    last = points[-1][1]
    catch_up: float | None
    if last == 0:
        catch_up = 0.0
    elif consume is not None and produce is not None and consume > produce:
        catch_up = last / (consume - produce)
    else:
        catch_up = None
    known = [p.lag_seconds for p in samples[-1].partitions if p.lag_seconds is not None]
    return LagTrend(
        first=points[0][1],
        last=last,
        peak=max(v for _, v in points),
        slope=_slope(points),
        consume_rate=consume,
        produce_rate=produce,
        catch_up_s=catch_up,
        max_lag_seconds=max(known) if known else None,
        series=points,
    )


def _slope(points: list[tuple[float, int]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return 0.0 if sxx == 0 else sum((x - mx) * (y - my) for x, y in points) / sxx


def _partitions(log: RunLog, samples: list[LagLine]) -> list[PartitionLoad]:
    counts: dict[tuple[str, int], int] = {}
    for line in log.intervals:
        for p in line.partitions:
            counts[(p.source, p.partition)] = counts.get((p.source, p.partition), 0) + p.records_in
    topics = {s.topic: name for name, s in log.start.sources.items()}
    lags: dict[tuple[str, int], int] = {}
    if samples:
        for lagging in samples[-1].partitions:
            key = (topics.get(lagging.topic, lagging.topic), lagging.partition)
            lags[key] = lagging.lag_messages
    for name, source in log.start.sources.items():  # partitions that got nothing count too
        for partition in range(source.partitions):
            counts.setdefault((name, partition), 0)
    return [PartitionLoad(s, p, n, lags.get((s, p))) for (s, p), n in sorted(counts.items())]


def _capacity(
    log: RunLog, records_in: int, runtime_s: float, processing_s: float, samples: list[LagLine]
) -> Capacity:
    partitions = sum(s.partitions for s in log.start.sources.values())
    per_worker = records_in / processing_s if processing_s > 0 and records_in else None
    input_rate: float | None = None
    source = "records consumed"
    if len(samples) >= 2 and samples[-1].time > samples[0].time:
        input_rate = (_totals(samples[-1])[2] - _totals(samples[0])[2]) / (
            samples[-1].time - samples[0].time
        )
        source = "high watermarks"
    elif records_in:
        input_rate = records_in / runtime_s
    uncapped = needed = None
    if per_worker and input_rate is not None:
        uncapped = max(1, math.ceil(input_rate / per_worker - 1e-9))
        needed = min(partitions, uncapped) if partitions else uncapped
    return Capacity(per_worker, input_rate, source, partitions, needed, uncapped)
