"""Window state survives SIGKILL: restarted workers resume open windows from the changelog,
count no record twice and never reopen an emitted window."""

from __future__ import annotations

import random
import signal
import threading
import time
from pathlib import Path

import orjson
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess, metric_sum

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 100, batch_wait: 50ms}}
sources:
  events: {{topic: {source}, key: user_id, event_time: ts}}
sinks:
  passthrough: {{topic: {name}-all}}
windows:
  per_minute:
    type: tumbling
    size: 1m
    grace: 2s
    key: user_id
    aggregate: {{n: count, total: {{sum: amount}}, ids: {{count_distinct: id}}}}
    sink: {{topic: {name}-minute}}
  sessions:
    type: session
    gap: 30s
    key: user_id
    aggregate: {{n: count, first: {{first: id}}, last: {{last: id}}}}
    emit: update
    sink: {{topic: {name}-sessions}}
"""
EVENTS = 12_000


def _events() -> list[tuple[str, bytes]]:
    rng = random.Random(11)
    out = []
    for i in range(EVENTS):
        user = f"u{rng.randrange(40)}"
        # mostly ordered, some disorder, and pauses that split sessions
        ts = 1_700_000_000_000 + i * 250 + (i // 2000) * 60_000 - rng.randrange(0, 3000)
        out.append((user, orjson.dumps({"user_id": user, "ts": ts, "id": i, "amount": i % 7})))
    return out


def _last_values(kafka: KafkaKit, topic: str) -> dict[bytes | None, bytes | None]:
    last: dict[bytes | None, bytes | None] = {}
    for msg in sorted(kafka.read_all(topic), key=lambda m: (m.partition, m.offset)):
        last[msg.key] = msg.value
    return {k: v for k, v in last.items() if v is not None}


def _diff(got: dict[bytes | None, bytes | None], want: dict[bytes | None, bytes | None]) -> str:
    keys = sorted({*got, *want} - {k for k in got if got.get(k) == want.get(k)}, key=str)
    sample = [(k, got.get(k), want.get(k)) for k in keys[:3]]
    return f"{len(keys)} of {len(want)} differ, e.g. (key, got, expected): {sample}"


def _pipeline(tmp_path: Path, kafka: KafkaKit, source: str, tag: str) -> tuple[Path, str]:
    name = kafka.unique(tag)
    kafka.created += [f"{name}-all", f"{name}-minute", f"{name}-sessions", f"{name}.dlq"]
    kafka.created += [
        f"stream-engine.{name}.v1.per_minute.changelog",
        f"stream-engine.{name}.v1.sessions.changelog",
    ]
    path = tmp_path / f"{tag}.yaml"
    path.write_text(PIPELINE.format(name=name, source=source))
    return path, name


def _run_to_end(worker: WorkerProcess, expected_in: int) -> None:
    assert worker.wait_until(
        lambda: metric_sum(worker.metrics(), "stream_engine_records_in_total") >= expected_in,
        timeout_s=120,
    ), worker.log[-3000:]


def _produce_slowly(kafka: KafkaKit, topic: str, events: list[tuple[str, bytes]]) -> None:
    """Events arrive while the crashing workers run, so every kill lands mid-stream."""
    for at in range(0, len(events), 1000):  # each call takes ~0.5 s (a new producer)
        kafka.produce(topic, events[at : at + 1000])
        time.sleep(0.2)


def test_sigkill_three_times_matches_an_uninterrupted_run(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    source = kafka.topic("win-src", partitions=3)
    crash_path, crash = _pipeline(tmp_path, kafka, source, "crash")
    producer = threading.Thread(target=_produce_slowly, args=(kafka, source, _events()))
    producer.start()
    rng = random.Random(5)
    consumed_before_kill = []
    try:
        for attempt in range(3):
            worker = WorkerProcess(
                crash_path, kafka.bootstrap, tmp_path, f"crash{attempt}", runtime
            ).start()
            # killed a random moment after it is ready, whatever it is doing then
            assert worker.wait_until(lambda w=worker: w.get("/ready")[0] == 200, timeout_s=60), (
                worker.log[-3000:]
            )
            # Faust is ready before it fetches; let it start consuming if records are left
            worker.wait_until(
                lambda w=worker: metric_sum(w.metrics(), "stream_engine_records_in_total") > 0,
                timeout_s=15,
            )
            time.sleep(rng.uniform(0.1, 1.0))
            consumed_before_kill.append(
                metric_sum(worker.metrics(), "stream_engine_records_in_total")
            )
            assert worker.proc is not None
            worker.proc.send_signal(signal.SIGKILL)
            worker.proc.wait(30)
    finally:
        producer.join()
    assert sum(consumed_before_kill) > 0, consumed_before_kill

    # the uninterrupted reference reads the same partitions in the same offset order
    ref_path, ref = _pipeline(tmp_path, kafka, source, "ref")
    reference = WorkerProcess(ref_path, kafka.bootstrap, tmp_path, "reference").start()
    try:
        _run_to_end(reference, EVENTS)
    finally:
        assert reference.terminate() == 0, reference.log[-3000:]

    final = WorkerProcess(crash_path, kafka.bootstrap, tmp_path, "final", runtime).start()
    try:
        expected = _last_values(kafka, f"{ref}-minute")
        assert expected, "the reference run closed no window"
        assert final.wait_until(
            lambda: _last_values(kafka, f"{crash}-minute").keys() >= expected.keys(),
            timeout_s=180,
        ), final.log[-3000:]
        expected_sessions = _last_values(kafka, f"{ref}-sessions")
        assert final.wait_until(
            lambda: _last_values(kafka, f"{crash}-sessions") == expected_sessions,
            timeout_s=60,
        ), _diff(_last_values(kafka, f"{crash}-sessions"), expected_sessions)
    finally:
        assert final.terminate() == 0, final.log[-3000:]
    got = _last_values(kafka, f"{crash}-minute")
    assert got == expected, _diff(got, expected)
    # no record counted twice: per-minute counts add up to what the reference counted
    ref_total = sum(orjson.loads(v)["n"] for v in expected.values() if v)
    assert sum(orjson.loads(v)["n"] for v in got.values() if v) == ref_total
    assert _last_values(kafka, f"{crash}-sessions") == expected_sessions
