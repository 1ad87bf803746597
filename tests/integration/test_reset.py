"""`stream-engine reset` on the real broker: group offsets and window changelogs go away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess, metric_sum

from connectors.kafka_admin import topic_partitions


def _cli(*args: str, bootstrap: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap},
    )


def test_reset_deletes_offsets_and_state_then_a_worker_starts_over(
    kafka: KafkaKit, tmp_path: Path
) -> None:
    source = kafka.topic("reset-src", partitions=2)
    name = kafka.unique("reset")
    changelog = f"stream-engine.{name}.v1.w.changelog"
    kafka.created += [f"{name}-out", f"{name}-w", f"{name}.dlq", changelog]
    path = tmp_path / "p.yaml"
    path.write_text(
        f"pipeline: {name}\nversion: 1\n"
        f"sources: {{s: {{topic: {source}, key: k}}}}\n"
        f"sinks: {{o: {{topic: {name}-out}}}}\n"
        "windows:\n  w: {type: tumbling, size: 1m, key: k, aggregate: {n: count}, "
        f"emit: update, sink: {{topic: {name}-w}}}}\n"
    )
    kafka.produce(source, [("a", orjson.dumps({"k": "a", "i": i})) for i in range(50)])

    def run_once(tag: str) -> None:
        worker = WorkerProcess(path, kafka.bootstrap, tmp_path, tag).start()
        try:
            assert worker.wait_until(
                lambda: metric_sum(worker.metrics(), "stream_engine_records_in_total") >= 50
            ), worker.log[-3000:]
            busy = _cli("reset", str(path), "--yes", bootstrap=kafka.bootstrap)
            assert busy.returncode == 1 and "active member" in busy.stderr, busy.stderr
        finally:
            assert worker.terminate() == 0

    run_once("first")
    assert changelog in topic_partitions(kafka.admin, [changelog])
    refused = _cli("reset", str(path), bootstrap=kafka.bootstrap)
    assert refused.returncode == 2 and "without --yes" in refused.stderr
    done = _cli("reset", str(path), "--yes", bootstrap=kafka.bootstrap)
    assert done.returncode == 0, done.stderr
    assert "deleted" in done.stdout
    assert changelog not in topic_partitions(kafka.admin, [changelog])
    run_once("second")  # starts from the earliest offset again: 50 more outputs
    assert len(kafka.read_all(f"{name}-out", expected=100)) == 100
