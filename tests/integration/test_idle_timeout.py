"""idle_timeout: a silent partition's windows still close in the live worker."""

from __future__ import annotations

from pathlib import Path

import orjson
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess


def test_window_of_a_silent_partition_closes_after_idle_timeout(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    source = kafka.topic("idle-src")
    name = kafka.unique("idle")
    kafka.created += [
        f"{name}-out",
        f"{name}-w",
        f"{name}.dlq",
        f"stream-engine.{name}.v1.w.changelog",
    ]
    path = tmp_path / "p.yaml"
    path.write_text(
        f"pipeline: {name}\nversion: 1\n"
        f"sources: {{s: {{topic: {source}, key: k, event_time: ts}}}}\n"
        f"sinks: {{o: {{topic: {name}-out}}}}\n"
        "windows:\n  w: {type: tumbling, size: 10s, key: k, aggregate: {n: count}, "
        f"idle_timeout: 2s, sink: {{topic: {name}-w}}}}\n"
    )
    # all inside [0s, 10s): without more records the watermark never reaches 10s
    base = 1_700_000_000_000  # a multiple of 10 s: the window is [base, base + 10 s)
    events = [("a", orjson.dumps({"k": "a", "ts": base + 1000 * i})) for i in range(9)]
    kafka.produce(source, events)
    worker = WorkerProcess(path, kafka.bootstrap, tmp_path, runtime=runtime).start()
    try:
        results = kafka.read_all(f"{name}-w", expected=1, timeout_s=45, alive=worker.proc)
    finally:
        assert worker.terminate() == 0, worker.log[-3000:]
    assert [orjson.loads(m.value)["n"] for m in results] == [9], worker.log[-2000:]
    assert orjson.loads(results[0].value)["window_end"] == base + 10_000
