"""Analyzer verdicts on crafted run logs: exact figures, bottlenecks and recommendations."""

from __future__ import annotations

from pathlib import Path

import pytest
from runlogs import catching_up, decode_bound_without_lag, falling_behind, write

from stream_engine.analyzer import analyze_run, load_input
from stream_engine.analyzer.loading import RunLog
from stream_engine.analyzer.run_report import RunReport


def report(tmp_path: Path, lines: list) -> RunReport:  # type: ignore[type-arg]
    loaded = load_input(write(tmp_path / "run.jsonl", lines))
    assert isinstance(loaded, RunLog)
    return analyze_run(loaded)


def test_falling_behind_commit_bound_and_capped_by_partitions(tmp_path: Path) -> None:
    r = report(tmp_path, falling_behind())
    assert r.runtime_s == 40.0
    assert (r.records_in, r.records_out, r.dead) == (4000, 4000, 0)
    assert r.throughput == 100.0
    assert r.throughput_series == [(10.0, 100.0), (20.0, 100.0), (30.0, 100.0), (40.0, 100.0)]
    assert [(s.step, s.seconds, s.share) for s in r.steps] == [
        ("commit", 24.0, 0.75),
        ("decode", 4.0, 0.125),
        ("filter", 2.0, 0.0625),
        ("sink", 2.0, 0.0625),
    ]
    assert r.bottleneck == "commit"
    assert (r.broker_wait_s, r.processing_s, r.wait_share) == (8.0, 32.0, 0.2)
    assert (r.batches, r.mean_batch_size) == (40, 100.0)
    assert r.memory_peak_bytes == 150e6
    assert r.lag is not None
    assert (r.lag.first, r.lag.last, r.lag.peak) == (2000, 8000, 8000)
    assert r.lag.slope == pytest.approx(200.0)
    assert r.lag.consume_rate == 100.0  # (4000 - 1000) committed over 30 s
    assert r.lag.produce_rate == 300.0  # (12000 - 3000) appended over 30 s
    assert r.lag.catch_up_s is None  # consuming slower than producing: never
    assert [(p.partition, p.records_in, p.lag) for p in r.partitions] == [
        (0, 3000, 6000),
        (1, 1000, 2000),
    ]
    assert r.skew == 1.5
    c = r.capacity
    assert (c.per_worker_rate, c.input_rate, c.input_rate_from) == (125.0, 300.0, "high watermarks")
    assert (c.workers_uncapped, c.workers_needed, c.partitions, c.capped) == (3, 2, 2, True)
    titles = [x.title for x in r.recommendations]
    assert titles == [
        "Run 2 workers: the partition count caps scale-out",
        "Raise worker.batch_size (e.g. 100 -> 400)",
        "Optimize step 'commit' first",
        "Partition events[0] is hot (1.5x the mean)",
    ]
    reasons = [x.reasoning for x in r.recommendations]
    assert "= 2.40, so ceil = 3" in reasons[0] and "only 2 partitions" in reasons[0]
    assert "75% of step time (600.0 ms per batch over 40 batches)" in reasons[1]
    assert "100% of batch_size 100" in reasons[1]
    assert "halving it would raise per-worker capacity by about 60%" in reasons[2]


def test_catching_up_small_batches_recommend_a_longer_batch_wait(tmp_path: Path) -> None:
    r = report(tmp_path, catching_up())
    assert r.lag is not None
    assert (r.lag.first, r.lag.last) == (3000, 0)
    assert r.lag.catch_up_s == 0.0
    assert r.lag.consume_rate == 170.0  # (4700 - 1300) / 20 s
    assert r.lag.produce_rate == 20.0  # (4700 - 4300) / 20 s
    assert r.skew == 1.0
    c = r.capacity
    assert c.per_worker_rate == 1000.0  # 6000 records / 6 s of processing
    assert c.input_rate == 20.0
    assert (c.workers_needed, c.capped) == (1, False)
    titles = [x.title for x in r.recommendations]
    assert titles == [
        "Run 1 worker",
        "Raise worker.batch_wait (linger, e.g. 50ms -> 200ms)",
        "Optimize step 'commit' first",
    ]
    assert (
        "the mean batch holds 50.0 records (10% of batch_size 500)"
        in r.recommendations[1].reasoning
    )


def test_catch_up_time_at_current_rates(tmp_path: Path) -> None:
    lines = catching_up()
    # stop before the lag reached zero: 1400 behind, consuming 2000/10 s, producing 400/10 s
    r = report(tmp_path, lines[:3])
    assert r.lag is not None
    assert (r.lag.last, r.lag.consume_rate, r.lag.produce_rate) == (1400, 200.0, 40.0)
    assert r.lag.catch_up_s == 1400 / 160


def test_without_lag_samples_the_input_rate_is_the_consumed_rate(tmp_path: Path) -> None:
    r = report(tmp_path, decode_bound_without_lag())
    assert r.lag is None
    assert r.bottleneck == "decode"
    assert r.capacity.input_rate_from == "records consumed"
    assert r.capacity.input_rate == 80.0  # 1600 records over 20 s
    assert r.capacity.per_worker_rate == pytest.approx(1600 / 9)
    assert r.capacity.workers_needed == 1
    assert [x.title for x in r.recommendations] == ["Run 1 worker", "Optimize step 'decode' first"]


def test_a_restarted_worker_appending_keeps_the_latest_run(tmp_path: Path) -> None:
    lines = falling_behind() + catching_up()
    r = report(tmp_path, lines)
    assert r.records_in == 6000 and r.capacity.partitions == 4


def test_an_idle_run_reports_without_inventing_figures(tmp_path: Path) -> None:
    from runlogs import interval, start_line

    lines = [start_line()] + [
        interval(
            1000.0 + 10 * k,
            {},
            {},
            batches=0,
            wait_s=10.0,
            processing_s=0.0,
            rss=50e6,
            lag=[(0, 7, 7), (1, 0, 0)],
        )
        for k in (1, 2)
    ]
    r = report(tmp_path, lines)
    assert (r.records_in, r.throughput, r.peak_throughput) == (0, 0.0, 0.0)
    assert (r.steps, r.bottleneck, r.mean_batch_size) == ([], None, None)
    assert r.capacity.per_worker_rate is None and r.capacity.workers_needed is None
    assert r.lag is not None and r.lag.catch_up_s == 0.0 and r.skew is None
    assert r.recommendations == []
    from stream_engine.analyzer.html import run_html
    from stream_engine.analyzer.text import run_text

    text = run_text(r)
    assert "(no step timings)" in text and "caught up" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert run_html(r).count("<svg") == 3
