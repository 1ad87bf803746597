"""Quality in the live worker on the real broker: dead letters with the rule id, window
verdicts on the quality topic, quality metrics, and on_error: halt across restarts."""

from __future__ import annotations

from pathlib import Path

import orjson
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess, metric_sum

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 100, batch_wait: 100ms}}
sources:
  events: {{topic: {source}, key: user_id, event_time: ts}}
steps:
  - quality: rules.yaml
sinks:
  out: {{topic: {sink}, fields: [id]}}
dead_letter: {{topic: {dlq}}}
"""

RULES = """
tables:
  events:
    per: 1s
    dedup_span: 1m
    on_error: {on_error}
    schema:
      - {{column: user_id, type: string, nullable: false}}
    checks:
      - {{type: range, column: amount, min: 0, max: 1000}}
      - {{type: expression, expr: "amount != 13", id: unlucky, severity: warn}}
      - {{type: uniqueness, column: id}}
      - {{type: row_count, min: 3}}
"""

T0 = 1_767_225_600_000  # event times, epoch ms


def _setup(kafka: KafkaKit, tmp_path: Path, on_error: str = "dead_letter") -> dict[str, str]:
    names = {
        "name": kafka.unique("q"),
        "source": kafka.topic("src"),
        "sink": kafka.unique("sink"),
        "dlq": kafka.unique("dlq"),
    }
    group = f"stream-engine.{names['name']}.v1"
    kafka.created += [
        names["sink"],
        names["dlq"],
        f"{names['name']}.quality",
        f"{group}.quality-s0-events.changelog",
    ]
    (tmp_path / "pipeline.yaml").write_text(PIPELINE.format(**names))
    (tmp_path / "rules.yaml").write_text(RULES.format(on_error=on_error))
    return names


def _event(i: int, user: object = "u1", amount: object = 5, at_ms: int = 0) -> bytes:
    return orjson.dumps({"id": i, "user_id": user, "amount": amount, "ts": T0 + at_ms})


def test_failing_and_duplicate_records_are_dead_lettered_with_the_rule(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    t = _setup(kafka, tmp_path)
    inputs = [
        _event(1, at_ms=100),  # ok
        _event(2, user=None, at_ms=200),  # schema: null user
        _event(3, user=42, at_ms=300),  # schema: wrong type
        _event(4, amount=-5, at_ms=400),  # rule: range
        _event(5, amount=13, at_ms=500),  # warn only: passes
        _event(1, amount=7, at_ms=600),  # duplicate of id 1
        _event(6, at_ms=700),  # ok
        _event(7, at_ms=2500),  # next window; closes the first (per 1s, grace 0)
    ]
    kafka.produce(t["source"], [("u1", v) for v in inputs])
    worker = WorkerProcess(
        tmp_path / "pipeline.yaml", kafka.bootstrap, tmp_path, runtime=runtime
    ).start()
    try:
        out = kafka.read_all(t["sink"], expected=4, alive=worker.proc)
        dead = kafka.read_all(t["dlq"], expected=4, alive=worker.proc)
        verdicts = kafka.read_all(f"{t['name']}.quality", expected=5, alive=worker.proc)
        assert worker.wait_until(
            lambda: metric_sum(worker.metrics(), "stream_engine_quality_checks_total") >= 5
        ), worker.log[-3000:]
        samples = worker.metrics()
    finally:
        assert worker.terminate() == 0, worker.log[-3000:]
    assert sorted(orjson.loads(m.value)["id"] for m in out) == [1, 5, 6, 7]
    letters = {
        (
            int(m.header("dlq.source.offset") or b"-1"),
            m.header("dlq.reason"),
            m.header("dlq.stage"),
            m.header("dlq.rule"),
            m.header("dlq.message"),
        )
        for m in dead
    }
    assert letters == {
        (1, b"schema", b"quality", b"schema.user_id",
         b"user_id is null or missing (nullable: false)"),
        (2, b"schema", b"quality", b"schema.user_id", b"user_id=42 is not of type string"),
        (3, b"rule", b"quality", b"range.amount", b"amount=-5 is below the minimum 0"),
        (5, b"duplicate", b"quality", b"uniqueness.id", b"duplicate id=1 within 1m"),
    }  # fmt: skip
    assert {m.value for m in dead} == {inputs[1], inputs[2], inputs[3], inputs[5]}
    # the first window [T0, T0+1s) closed: one verdict per rule
    first = [orjson.loads(m.value) for m in verdicts]
    first = [v for v in first if v["window_start"] == T0]
    by_rule = {v["rule"]: v for v in first}
    assert set(by_rule) == {
        "schema.user_id",
        "range.amount",
        "unlucky",
        "uniqueness.id",
        "row_count",
    }
    assert (by_rule["schema.user_id"]["failing"], by_rule["schema.user_id"]["rows"]) == (2, 7)
    assert by_rule["unlucky"]["samples"] == ["expression 'amount != 13' is false for amount=13"]
    assert by_rule["unlucky"]["passed"] is False and by_rule["unlucky"]["severity"] == "warn"
    assert (by_rule["uniqueness.id"]["failing"], by_rule["row_count"]["observed"]) == (1, 7)
    assert by_rule["row_count"]["passed"] is True
    assert all(v["pipeline"] == t["name"] and v["window_end"] == T0 + 1000 for v in first)
    labels = f'pipeline="{t["name"]}",rule="range.amount",severity="error"'
    assert samples[f"stream_engine_quality_checks_total{{{labels}}}"] == 1
    assert samples[f"stream_engine_quality_checks_failed_total{{{labels}}}"] == 1
    assert samples[f'stream_engine_quality_score{{pipeline="{t["name"]}"}}'] == 1 / 5
    assert metric_sum(samples, "stream_engine_dead_letters_total") == 4


def test_halt_stops_before_committing_and_again_after_a_restart(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    t = _setup(kafka, tmp_path, on_error="halt")
    kafka.produce(t["source"], [("u1", _event(i, at_ms=i)) for i in range(1, 4)])
    first = WorkerProcess(
        tmp_path / "pipeline.yaml", kafka.bootstrap, tmp_path, "first", runtime
    ).start()
    try:
        assert len(kafka.read_all(t["sink"], expected=3, alive=first.proc)) == 3
        # a bad record (offset 4) between good ones
        kafka.produce(
            t["source"],
            [("u1", _event(4, at_ms=4)), ("u1", _event(5, amount=5000, at_ms=5))]
            + [("u1", _event(i, at_ms=i)) for i in range(6, 9)],
        )
        assert first.wait_until(lambda: first.proc is not None and first.proc.poll() is not None)
    finally:
        code = first.terminate()
    why = (
        "quality rule range.amount failed with on_error: halt at "
        f"{t['source']}[0] offset 4: amount=5000 is above the maximum 1000; the batch is not "
        "committed, fix the data or the rules and restart"
    )
    # one line saying why: the CLI's error line (kafka runtime) or the worker's last log line
    said = f"error: {why}" if runtime == "kafka" else f"worker stopping: {why}"
    assert code == (1 if runtime == "kafka" else 70), first.log[-3000:]
    assert said in first.log
    committed = len(kafka.read_all(t["sink"]))
    assert committed <= 4  # nothing of the failing batch, at most the record before it
    second = WorkerProcess(
        tmp_path / "pipeline.yaml", kafka.bootstrap, tmp_path, "second", runtime
    ).start()
    assert second.wait_until(lambda: second.proc is not None and second.proc.poll() is not None)
    assert second.terminate() == code
    assert said in second.log
    assert len(kafka.read_all(t["sink"])) == committed
    assert kafka.read_all(t["dlq"]) == []
    if runtime == "faust":  # a Faust member that died holds its partitions for a session
        return
    # once the rules change, the worker moves on: the bad record is a dead letter
    (tmp_path / "rules.yaml").write_text(RULES.format(on_error="dead_letter"))
    third = WorkerProcess(
        tmp_path / "pipeline.yaml", kafka.bootstrap, tmp_path, "third", runtime
    ).start()
    try:
        out = kafka.read_all(t["sink"], expected=7, alive=third.proc)
        dead = kafka.read_all(t["dlq"], expected=1, alive=third.proc)
    finally:
        assert third.terminate() == 0, third.log[-3000:]
    assert sorted({orjson.loads(m.value)["id"] for m in out}) == [1, 2, 3, 4, 6, 7, 8]
    assert [m.header("dlq.rule") for m in dead] == [b"range.amount"]


def test_dedup_keys_survive_a_restart(kafka: KafkaKit, tmp_path: Path) -> None:
    t = _setup(kafka, tmp_path)
    kafka.produce(t["source"], [("u1", _event(1, at_ms=1)), ("u1", _event(2, at_ms=2))])
    pipeline = tmp_path / "pipeline.yaml"
    first = WorkerProcess(pipeline, kafka.bootstrap, tmp_path, "first", "kafka").start()
    try:
        assert len(kafka.read_all(t["sink"], expected=2, alive=first.proc)) == 2
    finally:
        assert first.terminate() == 0, first.log[-3000:]
    kafka.produce(t["source"], [("u1", _event(1, amount=9, at_ms=3)), ("u1", _event(3, at_ms=4))])
    second = WorkerProcess(pipeline, kafka.bootstrap, tmp_path, "second", "kafka").start()
    try:
        out = kafka.read_all(t["sink"], expected=3, alive=second.proc)
        dead = kafka.read_all(t["dlq"], expected=1, alive=second.proc)
    finally:
        assert second.terminate() == 0, second.log[-3000:]
    assert sorted(orjson.loads(m.value)["id"] for m in out) == [1, 2, 3]
    assert [(m.header("dlq.reason"), m.header("dlq.source.offset")) for m in dead] == [
        (b"duplicate", b"2")
    ]
