"""The live worker as a subprocess on the real broker: exact outputs, dead letters, delivery."""

from __future__ import annotations

import base64
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from kafka_kit import KafkaKit
from worker_kit import WorkerProcess, metric_sum

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 200, batch_wait: 100ms}}
sources:
  events: {{topic: {source}, key: user_id}}
reference:
  users: {{topic: {users}, key: user_id}}
steps:
  - enrich: {{table: users, on: user_id, fields: [tier], missing: dead_letter}}
  - filter: "kind == 'buy' and amount >= 0"
  - map: {{cents: "amount * 100", tier: "upper(tier)"}}
sinks:
  out: {{topic: {sink}, fields: [id, user_id, cents, tier]}}
dead_letter: {{topic: {dlq}}}
"""


def _pipeline(kafka: KafkaKit, tmp_path: Path, partitions: int = 3) -> dict[str, str]:
    names = {
        "name": kafka.unique("p"),
        "source": kafka.topic("src", partitions=partitions),
        "users": kafka.topic("users", config={"cleanup.policy": "compact"}),
        "sink": kafka.unique("sink"),
        "dlq": kafka.unique("dlq"),
    }
    kafka.created += [names["sink"], names["dlq"]]
    (tmp_path / "pipeline.yaml").write_text(PIPELINE.format(**names))
    kafka.produce(
        names["users"],
        [("u1", b'{"user_id":"u1","tier":"gold"}'), ("u2", b'{"user_id":"u2","tier":"free"}')],
    )
    return names


def _event(i: int, user: str = "u1", kind: str = "buy", amount: object = 5) -> bytes:
    return orjson.dumps({"id": i, "user_id": user, "kind": kind, "amount": amount})


def test_good_and_broken_records_land_exactly(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    t = _pipeline(kafka, tmp_path)
    header = [("trace", b"abc"), ("nil", None)]
    inputs = [
        ("u1", _event(1), header),  # ok
        ("u2", _event(2, "u2", amount=2.5), header),  # ok
        ("u1", _event(3, kind="view"), header),  # filtered
        ("u1", _event(4, amount=None), header),  # filtered (null)
        ("u1", b"\xff not json", header),  # decode
        ("u1", b"", header),  # decode (empty)
        ("u9", _event(7, "u9"), header),  # missing_reference
        ("u1", _event(8, amount="lots"), header),  # eval_error in filter
        ("u1", b"[1, 2]", header),  # decode (not an object)
    ]
    kafka.produce(t["source"], inputs)
    worker = WorkerProcess(
        tmp_path / "pipeline.yaml", kafka.bootstrap, tmp_path, runtime=runtime
    ).start()
    try:
        assert worker.wait_until(
            lambda: metric_sum(worker.metrics(), "stream_engine_records_in_total") >= len(inputs)
        ), worker.log[-3000:]
        out = kafka.read_all(t["sink"], expected=2)
        dead = kafka.read_all(t["dlq"], expected=5)
        samples = worker.metrics()
    finally:
        assert worker.terminate() == 0, worker.log[-3000:]
    assert sorted((orjson.loads(m.value) for m in out), key=lambda r: r["id"]) == [
        {"id": 1, "user_id": "u1", "cents": 500, "tier": "GOLD"},
        {"id": 2, "user_id": "u2", "cents": 250.0, "tier": "FREE"},
    ]
    assert {m.key for m in out} == {b"u1", b"u2"}
    assert all(m.header("trace") == b"abc" for m in out)
    assert all(("nil", None) in m.headers for m in out)  # a null header value stays null
    by_offset = {int(m.header("dlq.source.offset")): m for m in dead}  # type: ignore[arg-type]
    src = kafka.read_all(t["source"], expected=len(inputs))
    expected_dead = {
        b"\xff not json": ("decode", "decode"),
        b"": ("decode", "decode"),
        b"[1, 2]": ("decode", "decode"),
        _event(7, "u9"): ("missing_reference", "enrich"),
        _event(8, amount="lots"): ("eval_error", "filter"),
    }
    assert len(dead) == len(expected_dead)
    for original in src:
        if original.value not in expected_dead and original.value is not None:
            continue
        letter = by_offset[original.offset]
        assert letter.value == original.value or (letter.value is None and original.value == b"")
        assert letter.key == original.key
        reason, stage = expected_dead[original.value or b""]
        assert letter.header("dlq.reason") == reason.encode()
        assert letter.header("dlq.stage") == stage.encode()
        assert letter.header("dlq.source.topic") == t["source"].encode()
        assert letter.header("dlq.source.partition") == str(original.partition).encode()
        assert letter.header("dlq.pipeline") == t["name"].encode()
        assert letter.header("trace") == b"abc"
        assert ("nil", None) in letter.headers
        assert letter.header("dlq.message")
    # accounting: in = sink + filtered + dropped + dead letters
    records_in = metric_sum(samples, "stream_engine_records_in_total")
    assert records_in == len(inputs)
    assert records_in == (
        metric_sum(samples, "stream_engine_records_out_total")
        + metric_sum(samples, "stream_engine_records_filtered_total")
        + metric_sum(samples, "stream_engine_records_dropped_total")
        + metric_sum(samples, "stream_engine_dead_letters_total")
    )
    assert metric_sum(samples, "stream_engine_records_filtered_total") == 2


def test_sigterm_mid_stream_then_restart_loses_nothing(
    kafka: KafkaKit, tmp_path: Path, runtime: str
) -> None:
    t = _pipeline(kafka, tmp_path, partitions=4)
    count = 30_000
    events = [(f"u{1 + i % 2}", _event(i, f"u{1 + i % 2}")) for i in range(count)]

    def produce_slowly() -> None:  # records keep arriving, so SIGTERM lands mid-stream
        for at in range(0, count, 3000):  # each call takes ~0.5 s (a new idempotent producer)
            kafka.produce(t["source"], events[at : at + 3000])

    producer = threading.Thread(target=produce_slowly)
    producer.start()
    first = WorkerProcess(
        tmp_path / "pipeline.yaml", kafka.bootstrap, tmp_path, "first", runtime
    ).start()
    try:
        assert first.wait_until(
            lambda: metric_sum(first.metrics(), "stream_engine_records_out_total") >= 2000
        ), first.log[-3000:]
    finally:
        code = first.terminate()
        producer.join()
    assert code == 0, first.log[-3000:]
    partial = len(kafka.read_all(t["sink"]))
    assert partial < count, "stopped too late to test a restart"
    second = WorkerProcess(
        tmp_path / "pipeline.yaml", kafka.bootstrap, tmp_path, "second", runtime
    ).start()
    try:
        out = kafka.read_all(t["sink"], expected=count, timeout_s=120, alive=second.proc)
    finally:
        assert second.terminate() == 0, second.log[-3000:]
    ids = [orjson.loads(m.value)["id"] for m in out]
    assert set(ids) == set(range(count)), f"lost {count - len(set(ids))} records"
    duplicates = len(ids) - len(set(ids))
    print(f"restart after SIGTERM: {partial} before, {duplicates} duplicates of {count}")


def test_missing_source_topic_fails_fast(kafka: KafkaKit, tmp_path: Path) -> None:
    missing = kafka.unique("nope")
    (tmp_path / "p.yaml").write_text(
        f"pipeline: gone\nversion: 1\nsources: {{s: {{topic: {missing}}}}}\n"
        f"sinks: {{o: {{topic: {kafka.unique('o')}}}}}\n"
    )
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "stream_engine", "worker", str(tmp_path / "p.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap, "PATH": "/usr/bin:/bin"},
    )
    assert time.monotonic() - began < 30
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and missing in errors[0] and "sources.s.topic" in errors[0], proc.stderr


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            "pipeline: x\nversion: 1\nsources: {s: {topic: a}}\nsinks: {o: {topic: b}}\n"
            'steps:\n  - filter: "a.b == 1"\n',
            "steps[0].filter",
        ),
        (
            "pipeline: x\nversion: 1\nsources: {s: {topic: a, colour: red}}\n"
            "sinks: {o: {topic: b}}\n",
            "sources.s.colour",
        ),
    ],
)
def test_check_reports_bad_files_in_one_line(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    proc = subprocess.run(
        [sys.executable, "-m", "stream_engine", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and str(path) in lines[0], proc.stderr


def test_small_topic_limits_refuse_only_the_oversized_record(
    kafka: KafkaKit, tmp_path: Path
) -> None:
    """A sink topic with a small max.message.bytes refuses one large record, not its batch;
    a small dead-letter limit never blocks the worker."""
    source = kafka.topic("limits-src")
    sink = kafka.topic("limits-sink", config={"max.message.bytes": "50000"})
    name, dlq = kafka.unique("limits"), kafka.unique("limits-dlq")
    kafka.created.append(dlq)
    path = tmp_path / "p.yaml"
    path.write_text(
        f"pipeline: {name}\nversion: 1\nsources: {{s: {{topic: {source}}}}}\n"
        f"sinks: {{o: {{topic: {sink}}}}}\n"
        f"dead_letter: {{topic: {dlq}, max_message_bytes: 10000}}\n"
    )
    small = [(f"k{i}", orjson.dumps({"i": i, "pad": "x" * 150})) for i in range(300)]
    noise = base64.b64encode(random.Random(3).randbytes(100_000)).decode()  # incompressible
    big = [("big", orjson.dumps({"i": -1, "pad": noise}))]
    junk = [(f"j{i}", b"\xff" * 1000) for i in range(200)]  # 200 undecodable, 1 KB each
    kafka.produce(source, small[:150] + big + small[150:] + junk)
    worker = WorkerProcess(path, kafka.bootstrap, tmp_path).start()
    try:
        out = kafka.read_all(sink, expected=300, timeout_s=60, alive=worker.proc)
        dead = kafka.read_all(dlq, expected=201, timeout_s=60, alive=worker.proc)
    finally:
        code = worker.terminate()
    assert code == 0, worker.log[-3000:]
    assert sorted(orjson.loads(m.value)["i"] for m in out) == list(range(300))
    reasons = sorted((m.header("dlq.reason") or b"").decode() for m in dead)
    assert reasons.count("sink_error") == 1 and reasons.count("decode") == 200
    refused = next(m for m in dead if m.header("dlq.reason") == b"sink_error")
    assert refused.key == b"big"
    assert refused.header("dlq.truncated") == b"true"  # 100 KB does not fit in 10 KB
