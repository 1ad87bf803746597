"""/health and /ready of a running worker, before and after it gets a partition.

Kubernetes routes and counts workers by these answers (readiness and liveness probes,
the PodDisruptionBudget), so they are checked on real workers in one consumer group:
on a 1-partition topic one worker owns the partition and the other is ready and idle,
until the owner stops and the idle one takes over (restoring its window state first).
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess, metric_sum

OWNER = (200, "ready: 1 partition assigned\n")
IDLE = (200, "ready: idle, no partitions assigned\n")


def _pipeline(kafka: KafkaKit, tmp_path: Path) -> tuple[Path, str, str]:
    source = kafka.topic("ready-src")  # one partition
    users = kafka.topic("ready-users", config={"cleanup.policy": "compact"})
    name = kafka.unique("ready")
    changelog = f"stream-engine.{name}.v1.w.changelog"
    kafka.created += [f"{name}-out", f"{name}-w", f"{name}.dlq", changelog]
    path = tmp_path / "p.yaml"
    path.write_text(
        f"pipeline: {name}\nversion: 1\n"
        "worker: {batch_size: 100, batch_wait: 50ms}\n"
        f"sources: {{s: {{topic: {source}, key: k, event_time: ts}}}}\n"
        f"reference: {{users: {{topic: {users}, key: k}}}}\n"
        "steps:\n  - enrich: {table: users, on: k, fields: [tier], missing: dead_letter}\n"
        f"sinks: {{o: {{topic: {name}-out}}}}\n"
        f"dead_letter: {{topic: {name}.dlq}}\n"
        "windows:\n  w: {type: tumbling, size: 1h, key: k, aggregate: {n: count}, "
        f"sink: {{topic: {name}-w}}}}\n"
    )
    kafka.produce(users, [("a", orjson.dumps({"k": "a", "tier": "gold"}))])
    return path, source, changelog


def _events(first: int, count: int) -> list[tuple[str, bytes]]:
    base = 1_700_000_000_000
    return [("a", orjson.dumps({"k": "a", "ts": base + i})) for i in range(first, first + count)]


def _wait_for_answers(workers: list[WorkerProcess], expected: set[tuple[int, str]]) -> bool:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if {w.get("/ready") for w in workers} == expected and len(workers) == len(expected):
            return True
        time.sleep(0.2)
    return False


def test_health_and_ready_before_and_after_partition_assignment(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    path, source, changelog = _pipeline(kafka, tmp_path)
    kafka.produce(source, _events(0, 20))
    first = WorkerProcess(path, kafka.bootstrap, tmp_path, "first", runtime).start()
    second: WorkerProcess | None = None
    try:
        seen: list[tuple[int, str]] = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and (not seen or seen[-1] != OWNER):
            answer = first.get("/ready")
            if answer[0] and (not seen or seen[-1] != answer):
                seen.append(answer)
            assert first.proc is not None and first.proc.poll() is None, first.log[-3000:]
            time.sleep(0.05)
        # Never ready before the reference table is loaded; ready once it owns the partition.
        assert seen[-1] == OWNER, (seen, first.log[-3000:])
        assert set(seen) <= {
            (503, "not ready: loading reference tables\n"),
            (503, f"not ready: restoring window state of {source}[0]\n"),
            IDLE,
            OWNER,
        }, seen
        assert first.get("/health") in {(200, "ok\n"), (200, "starting\n")}
        assert first.wait_until(lambda: first.get("/health") == (200, "ok\n"), timeout_s=10)
        assert first.wait_until(
            lambda: metric_sum(first.metrics(), "stream_engine_records_in_total") == 20, 20
        ), first.log[-3000:]

        # A second worker in the same group gets no partition: ready and idle.
        second = WorkerProcess(path, kafka.bootstrap, tmp_path, "second", runtime).start()
        assert _wait_for_answers([first, second], {OWNER, IDLE}), (
            first.get("/ready"),
            second.get("/ready"),
            second.log[-3000:],
        )
        assert second.get("/health")[0] == 200
        owner, idle = (first, second) if first.get("/ready") == OWNER else (second, first)
        restores = idle.log.count(f"restored {changelog}[0]")

        # The owner stops; the idle worker takes the partition over, restoring its state.
        assert owner.terminate() == 0, owner.log[-3000:]
        assert idle.wait_until(lambda: idle.get("/ready") == OWNER, timeout_s=40), (
            idle.get("/ready"),
            idle.log[-3000:],
        )
        assert idle.log.count(f"restored {changelog}[0]") > restores
        kafka.produce(source, _events(20, 5))
        assert idle.wait_until(
            lambda: metric_sum(idle.metrics(), "stream_engine_records_in_total") >= 5, 20
        ), idle.log[-3000:]
        assert idle.get("/health") == (200, "ok\n")
    finally:
        for worker in (first, second):
            if worker is not None:
                assert worker.terminate() == 0, worker.log[-3000:]
