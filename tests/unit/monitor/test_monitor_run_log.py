"""The run log's lines are the differences between two reads of the worker's counters."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from stream_engine.monitor.lag import LagTracker, OffsetsSnapshot
from stream_engine.monitor.metrics import PipelineMetrics
from stream_engine.monitor.run_log import RunLogWriter
from stream_engine.monitor.run_log_format import SourceInfo, StartLine
from stream_engine.topology import BatchCounters, BatchResult


def batch(records: int, dead: int, seconds: dict[str, float]) -> BatchResult:
    counters = BatchCounters(
        records_in=records,
        passed=records - dead,
        dead=Counter({("decode", "decode"): dead}),
        out=Counter({"out": records - dead}),
    )
    return BatchResult("events", counters=counters, step_seconds=seconds)


def test_each_line_counts_only_its_interval(tmp_path: Path) -> None:
    metrics = PipelineMetrics("shop")
    start = StartLine(
        type="start",
        time=0.0,
        pipeline="shop",
        group="g",
        runtime="kafka",
        batch_size=100,
        batch_wait_ms=200,
        interval_s=1.0,
        sources={
            "events": SourceInfo(topic="ev", partitions=2),
            "idle": SourceInfo(topic="i", partitions=1),
        },
    )
    tracker = LagTracker("g", window_s=10)
    lag = tracker.update(OffsetsSnapshot(5.0, {("ev", 0): 30, ("ev", 1): 9}, {("ev", 0): 25}))
    path = tmp_path / "run.jsonl"
    writer = RunLogWriter(path, metrics, start, lambda: lag)

    metrics.observe(batch(10, 2, {"decode": 0.5, "map": 0.25}))
    metrics.observe_partition("events", 0, 6)
    metrics.observe_partition("events", 1, 4)
    metrics.observe_broker_wait("events", 2.0)
    metrics.observe_processing("events", 1.0)
    writer.write_interval()
    metrics.observe(batch(5, 0, {"decode": 0.125}))
    metrics.observe_step("commit", 0.0625)
    metrics.observe_partition("events", 1, 5)
    writer.close()

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["start", "interval", "interval", "stop"]
    first, second = lines[1], lines[2]
    assert first["sources"]["events"] == {
        "records_in": 10,
        "records_out": 8,
        "passed": 8,
        "filtered": 0,
        "dropped": 0,
        "dead": 2,
        "batches": 1,
        "broker_wait_s": 2.0,
        "processing_s": 1.0,
    }
    assert first["sources"]["idle"]["records_in"] == 0  # every source, every line
    assert first["steps"] == {"decode": 0.5, "map": 0.25}
    assert first["partitions"] == [
        {"source": "events", "partition": 0, "records_in": 6},
        {"source": "events", "partition": 1, "records_in": 4},
    ]
    assert second["sources"]["events"]["records_in"] == 5
    assert second["sources"]["events"]["dead"] == 0 and second["sources"]["events"]["batches"] == 1
    assert second["steps"] == {"commit": 0.0625, "decode": 0.125, "map": 0.0}
    assert second["partitions"] == [{"source": "events", "partition": 1, "records_in": 5}]
    assert second["memory"]["rss_bytes"] > 1e6
    assert second["memory"]["peak_rss_bytes"] >= second["memory"]["rss_bytes"] * 0.5
    assert first["lag"] == {
        "time": 5.0,
        "status": "OK",
        "partitions": [
            {
                "topic": "ev",
                "partition": 0,
                "committed": 25,
                "high_watermark": 30,
                "lag_messages": 5,
                "lag_seconds": None,
                "status": "OK",
            },
        ],
    }


def test_new_metrics_have_the_documented_names_and_labels() -> None:
    metrics = PipelineMetrics("shop")
    metrics.observe_broker_wait("events", 1.5)
    metrics.observe_processing("events", 0.5)
    metrics.observe_partition("events", 3, 7)
    value = metrics.registry.get_sample_value
    assert (
        value("stream_engine_broker_wait_seconds_total", {"pipeline": "shop", "source": "events"})
        == 1.5
    )
    assert (
        value("stream_engine_processing_seconds_total", {"pipeline": "shop", "source": "events"})
        == 0.5
    )
    assert (
        value(
            "stream_engine_partition_records_in_total",
            {"pipeline": "shop", "source": "events", "partition": "3"},
        )
        == 7
    )
    memory = value("stream_engine_process_memory_bytes", {"pipeline": "shop"})
    assert memory is not None and memory > 1e6
