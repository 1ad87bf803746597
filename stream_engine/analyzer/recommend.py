"""Recommendations from a RunReport, each with the numbers that led to it."""

from __future__ import annotations

from stream_engine.analyzer.run_report import COMMIT_STEPS, Recommendation, RunReport

OVERHEAD_SHARE = 0.30  # per-batch round trips above this share of step time dominate
FULL_BATCH = 0.90  # batches at least this full are cut by batch_size, not batch_wait
SKEW_RATIO = 1.5
IDLE_SHARE = 0.5  # waiting for records at least this share of the time


def recommend(r: RunReport) -> list[Recommendation]:
    out = [x for x in (_workers(r), _batching(r), _step_first(r), _skew(r)) if x is not None]
    return out


def _workers(r: RunReport) -> Recommendation | None:
    c = r.capacity
    if c.workers_needed is None or c.per_worker_rate is None or c.input_rate is None:
        return None
    ratio = c.input_rate / c.per_worker_rate
    reasoning = (
        f"input {c.input_rate:,.1f} rec/s (from {c.input_rate_from}) / per-worker "
        f"{c.per_worker_rate:,.1f} rec/s (records per second of processing time) = "
        f"{ratio:.2f}, so ceil = {c.workers_uncapped}; partitions: {c.partitions}."
    )
    if r.runtime == "faust":
        reasoning += (
            " (Faust runtime: Faust's own per-event work between batches counts as broker "
            "wait, so the per-worker rate is an upper bound; see docs/analyzer.md.)"
        )
    if c.capped:
        return Recommendation(
            f"Run {c.workers_needed} workers: the partition count caps scale-out",
            reasoning + f" {c.workers_uncapped} workers would be needed but only {c.partitions} "
            "partitions can be read in parallel: add partitions to the source topic or "
            "make the bottleneck step faster.",
        )
    plural = "worker" if c.workers_needed == 1 else "workers"
    return Recommendation(
        f"Run {c.workers_needed} {plural}",
        reasoning + f" The partitions allow up to {c.partitions} workers.",
    )


def _batching(r: RunReport) -> Recommendation | None:
    step_total = sum(s.seconds for s in r.steps)
    overhead = sum(s.seconds for s in r.steps if s.step in COMMIT_STEPS)
    if step_total <= 0 or not r.batches or r.mean_batch_size is None:
        return None
    share = overhead / step_total
    if share < OVERHEAD_SHARE or _idle(r):
        return None
    per_batch_ms = overhead / r.batches * 1000
    fill = r.mean_batch_size / r.batch_size
    reasoning = (
        f"commit round trips take {share:.0%} of step time ({per_batch_ms:.1f} ms per batch "
        f"over {r.batches:,} batches); the mean batch holds {r.mean_batch_size:,.1f} records "
        f"({fill:.0%} of batch_size {r.batch_size})."
    )
    if fill >= FULL_BATCH:
        return Recommendation(
            f"Raise worker.batch_size (e.g. {r.batch_size} -> {r.batch_size * 4})",
            reasoning + " Batches are full, so larger ones pay the round trip less often.",
        )
    return Recommendation(
        f"Raise worker.batch_wait (linger, e.g. {r.batch_wait_ms:.0f}ms -> "
        f"{max(r.batch_wait_ms * 4, 100):.0f}ms)",
        reasoning + " Batches are cut by batch_wait before they fill: waiting longer "
        "fills them and spreads the fixed cost over more records.",
    )


def _idle(r: RunReport) -> bool:
    """Mostly waiting for records and not falling behind: tuning would not show."""
    wait = r.wait_share
    growing = r.lag is not None and r.lag.slope > 0
    return wait is not None and wait >= IDLE_SHARE and not growing


def _step_first(r: RunReport) -> Recommendation | None:
    if r.bottleneck is None:
        return None
    top = r.steps[0]
    gain = 1 / (1 - top.share / 2) - 1
    note = ""
    if _idle(r) and r.wait_share is not None:
        note = f" Not urgent: the worker waits for records {r.wait_share:.0%} of the time."
    return Recommendation(
        f"Optimize step {top.step!r} first",
        f"it takes {top.share:.0%} of step time ({top.seconds:.2f}s); halving it would raise "
        f"per-worker capacity by about {gain:.0%}.{note}",
    )


def _skew(r: RunReport) -> Recommendation | None:
    if r.skew is None or r.skew < SKEW_RATIO:
        return None
    hot = max(r.partitions, key=lambda p: (p.records_in, -p.partition))
    return Recommendation(
        f"Partition {hot.source}[{hot.partition}] is hot ({r.skew:.1f}x the mean)",
        f"it received {hot.records_in:,} records of {r.records_in:,}; keys are unevenly "
        "spread, and one partition is read by one worker, so more workers will not speed "
        "it up: spread the hot keys (a better key) or speed up the steps.",
    )
