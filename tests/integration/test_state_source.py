"""A worker refuses window state written for another source log instead of skipping records.

Window state remembers the last source offset it applied; applied to another topic (the
pipeline file now names a new topic) or to a recreated one, those offsets would make the
worker skip records silently. It stops with a one-line error that says how to start over.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess, metric_sum

from connectors.kafka_admin import TopicRequest, delete_topics, ensure_topics
from stream_engine.errors import StreamEngineError

PIPELINE = """
pipeline: {name}
version: 1
sources:
  events: {{topic: {source}, key: k, event_time: ts}}
sinks: {{all: {{topic: {name}-all}}}}
windows:
  w:
    type: tumbling
    size: 1m
    key: k
    aggregate: {{n: count}}
    sink: {{topic: {name}-w}}
"""


def _events(n: int) -> list[tuple[str, bytes]]:
    return [(f"k{i % 3}", orjson.dumps({"k": f"k{i % 3}", "ts": 1_000 * i})) for i in range(n)]


def _write(path: Path, name: str, source: str) -> Path:
    path.write_text(PIPELINE.format(name=name, source=source))
    return path


def test_state_of_another_topic_is_refused(kafka: KafkaKit, tmp_path: Path, runtime: str) -> None:
    name = kafka.unique("state-src")
    kafka.created += [f"{name}-w", f"{name}-all", f"{name}.dlq"]
    kafka.created += [f"stream-engine.{name}.v1.w.changelog"]
    first = kafka.topic("first", partitions=1)
    kafka.produce(first, _events(50))
    path = _write(tmp_path / "p.yaml", name, first)
    worker = WorkerProcess(path, kafka.bootstrap, tmp_path, "first", runtime).start()
    try:
        assert worker.wait_until(
            lambda: metric_sum(worker.metrics(), "stream_engine_records_in_total") >= 50, 90
        ), worker.log[-3000:]
    finally:
        assert worker.terminate() == 0, worker.log[-3000:]

    second = kafka.topic("second", partitions=1)
    kafka.produce(second, _events(10))
    _write(path, name, second)
    done = _run_worker(path, kafka.bootstrap, runtime)
    assert done.returncode != 0, done.stderr[-2000:]
    message = f"was written for topic '{first}', not '{second}'"
    assert message in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]

    # the first topic deleted and recreated with fewer records: its offsets start over
    delete_topics(kafka.admin, [first])
    deadline = time.monotonic() + 60
    while True:
        try:
            ensure_topics(kafka.admin, [TopicRequest(first, 1, 1, {})])
            break
        except StreamEngineError:
            assert time.monotonic() < deadline, "topic could not be recreated"
            time.sleep(0.5)
    kafka.produce(first, _events(10))
    _write(path, name, first)
    done = _run_worker(path, kafka.bootstrap, runtime)
    assert done.returncode != 0, done.stderr[-2000:]
    assert "(deleted and recreated?)" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def _run_worker(path: Path, bootstrap: str, runtime: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "worker", str(path), "--runtime", runtime],
        env={"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
