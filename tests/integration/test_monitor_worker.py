"""The worker reports its own timings, memory and lag, on /metrics (scraped by a real
Prometheus) and in the run log, in both runtimes."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from kafka_kit import KafkaKit
from prometheus_kit import LocalPrometheus
from worker_kit import WorkerProcess, metric_sum

from stream_engine.analyzer import analyze_run, load_input
from stream_engine.analyzer.loading import RunLog

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 50, batch_wait: 50ms}}
sources:
  events: {{topic: {source}, key: k}}
steps:
  - filter: "n % 10 != 0"
sinks:
  out: {{topic: {name}-out}}
dead_letter: {{topic: {name}.dlq}}
"""
COUNT = 300


def test_worker_metrics_reach_prometheus_and_the_run_log(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    name = kafka.unique("mon")
    source = kafka.topic("mon-src", partitions=3)
    kafka.created += [f"{name}-out", f"{name}.dlq"]
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(PIPELINE.format(name=name, source=source))
    per_partition = {0: 150, 1: 100, 2: 50}
    for partition, n in per_partition.items():
        kafka.produce(
            source,
            [(f"k{i}", orjson.dumps({"k": f"k{i}", "n": i})) for i in range(n)],
            partition=partition,
        )
    run_log = tmp_path / "run.jsonl"
    worker = WorkerProcess(
        pipeline,
        kafka.bootstrap,
        tmp_path,
        runtime=runtime,
        args=["--run-log", str(run_log), "--run-log-interval", "1"],
    ).start()
    prometheus = LocalPrometheus(tmp_path, [f"127.0.0.1:{worker.port}"]).start()
    lag_series = "stream_engine_consumer_lag_messages"
    try:
        assert worker.wait_until(
            lambda: metric_sum(worker.metrics(), "stream_engine_records_in_total") >= COUNT,
            timeout_s=60,
        ), worker.log[-3000:]
        # the group's own lag, sampled in the background, drops to zero once committed
        assert worker.wait_until(
            lambda: _lags(worker.metrics(), lag_series) == {"0": 0, "1": 0, "2": 0},
            timeout_s=20,
        ), (_lags(worker.metrics(), lag_series), worker.log[-3000:])
        samples = worker.metrics()
        query = f'sum(stream_engine_records_in_total{{pipeline="{name}"}})'
        assert worker.wait_until(lambda: _value(prometheus.query(query)) == COUNT, 20), (
            prometheus.query(query),
            prometheus.log_path.read_text()[-2000:],
        )
        up = prometheus.query(f'up{{instance="127.0.0.1:{worker.port}"}}')
        status = prometheus.query(
            f'stream_engine_consumer_group_status{{pipeline="{name}",status="OK"}}'
        )
    finally:
        prometheus.stop()
        assert worker.terminate() == 0, worker.log[-3000:]
    assert _value(up) == 1
    assert _value(status) == 1
    assert status[0]["metric"]["group"] == f"stream-engine.{name}.v1"
    for partition, n in per_partition.items():
        key = (
            f'stream_engine_partition_records_in_total{{partition="{partition}",'
            f'pipeline="{name}",source="events"}}'
        )
        assert samples[key] == n
    wait_label = "events"
    assert (
        samples[
            f'stream_engine_broker_wait_seconds_total{{pipeline="{name}",source="{wait_label}"}}'
        ]
        > 0
    )
    assert (
        samples[f'stream_engine_processing_seconds_total{{pipeline="{name}",source="events"}}'] > 0
    )
    assert samples[f'stream_engine_process_memory_bytes{{pipeline="{name}"}}'] > 10e6
    assert samples[f'stream_engine_step_seconds_count{{pipeline="{name}",step="filter"}}'] >= 1

    lines = [json.loads(line) for line in run_log.read_text().splitlines()]
    assert lines[0]["type"] == "start" and lines[-1]["type"] == "stop"
    assert lines[0]["sources"] == {"events": {"topic": source, "partitions": 3}}
    assert lines[0]["runtime"] == runtime
    intervals = [line for line in lines if line["type"] == "interval"]
    assert sum(i["sources"]["events"]["records_in"] for i in intervals) == COUNT
    filtered = sum(n // 10 for n in per_partition.values())  # n = 0, 10, 20, ... per partition
    assert sum(i["sources"]["events"]["filtered"] for i in intervals) == filtered
    assert sum(i["sources"]["events"]["records_out"] for i in intervals) == COUNT - filtered
    by_partition: dict[int, int] = {}
    for i in intervals:
        for p in i["partitions"]:
            by_partition[p["partition"]] = by_partition.get(p["partition"], 0) + p["records_in"]
    assert by_partition == per_partition
    last_lag = [i["lag"] for i in intervals if i["lag"] is not None][-1]
    assert {p["partition"]: p["lag_messages"] for p in last_lag["partitions"]} == {0: 0, 1: 0, 2: 0}
    assert {p["partition"]: p["high_watermark"] for p in last_lag["partitions"]} == per_partition

    loaded = load_input(run_log)
    assert isinstance(loaded, RunLog)
    report = analyze_run(loaded)
    assert report.records_in == COUNT
    assert report.capacity.partitions == 3
    assert report.processing_s > 0 and report.broker_wait_s > 0


def _lags(samples: dict[str, float], name: str) -> dict[str, float]:
    out = {}
    for key, value in samples.items():
        if key.startswith(name + "{"):
            partition = key.split('partition="', 1)[1].split('"', 1)[0]
            out[partition] = value
    return out


def _value(result: list[dict[str, object]]) -> float | None:
    if len(result) != 1:
        return None
    return float(result[0]["value"][1])  # type: ignore[index]
