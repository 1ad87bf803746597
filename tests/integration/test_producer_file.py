"""`stream-engine produce --file` on the real broker: good lines sent, bad ones reported by
line number and counted, exit 1 when any failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
from kafka_kit import KafkaKit

from stream_engine.serde import make_decoder

SCHEMAS = Path(__file__).parents[2] / "schemas"


def _cli(
    *args: str, bootstrap: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "STREAM_ENGINE_KAFKA_BOOTSTRAP_SERVERS"}
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "produce", *args],
        capture_output=True,
        timeout=120,
        env={**env, "KAFKA_BOOTSTRAP_SERVERS": bootstrap},
        input=stdin,
    )


def _view(i: int, **over: object) -> bytes:
    event = {
        "event_id": f"e{i}",
        "user_id": f"u{i}",
        "event_type": "page_view",
        "url": "/",
        "duration_ms": i,
        "ts": 1_767_225_600_000 + i,
        **over,
    }
    return orjson.dumps(event)


def test_json_file_with_bad_lines(kafka: KafkaKit, tmp_path: Path) -> None:
    topic = kafka.unique("file-json")
    kafka.created.append(topic)
    lines = [_view(1), b"{broken", b"", _view(2), b"[1, 2]", b"  ", _view(3)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = _cli(
        "--file", str(path), "--topic", topic, "--key", "user_id", "--create",
        "--partitions", "3", bootstrap=kafka.bootstrap,
    )  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    reported = stderr.splitlines()
    assert reported[0].startswith(f"{path}:2: invalid JSON: unexpected character")  # orjson's
    assert reported[1:] == [
        f"{path}:5: expected a JSON object, got list",
        f"error: 2 lines of {path} not sent (listed above)",
    ]
    summary = result.stdout.decode()
    assert summary.startswith(f"sent 3 of 5 events from {path} to {topic} (json) in ")
    assert "; failed 2; by partition: " in summary
    messages = kafka.read_all(topic, expected=3)
    assert sorted((m.key, m.value) for m in messages) == [
        (f"u{i}".encode(), _view(i)) for i in (1, 2, 3)
    ]


def test_avro_from_stdin(kafka: KafkaKit) -> None:
    topic = kafka.topic("file-avro", partitions=2)
    lines = [_view(1, device="mobile"), _view(2, duration_ms="slow"), _view(3)]
    result = _cli(
        "--file", "-", "--topic", topic, "--format", "avro",
        "--schema", str(SCHEMAS / "page_view/v2.avsc"), "--schema-dir", str(SCHEMAS),
        bootstrap=kafka.bootstrap, stdin=b"\n".join(lines),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        "<stdin>:2: cannot encode record as Avro clickstream.PageView: "
        "field clickstream.PageView.duration_ms is 'slow' (str), expected long",
        "error: 1 line of <stdin> not sent (listed above)",
    ]
    assert "sent 2 of 3 events from <stdin>" in result.stdout.decode()
    decoder = make_decoder("avro", schema_dir=SCHEMAS, wire_format=True)
    values = [decoder.decode(m.value) for m in kafka.read_all(topic, expected=2)]
    assert sorted(values, key=lambda v: v["event_id"]) == [
        {**orjson.loads(_view(1)), "referrer": None, "device": "mobile"},
        {**orjson.loads(_view(3)), "referrer": None, "device": "unknown"},
    ]
    assert all(m.key is None for m in kafka.read_all(topic))  # no --key: no key


def test_clean_file_exits_0_and_missing_topic_is_refused(kafka: KafkaKit, tmp_path: Path) -> None:
    topic = kafka.topic("file-ok")
    path = tmp_path / "ok.jsonl"
    path.write_bytes(_view(1) + b"\n" + _view(2))
    ok = _cli("--file", str(path), "--topic", topic, bootstrap=kafka.bootstrap)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == b""
    assert ok.stdout.decode().startswith(f"sent 2 of 2 events from {path} to {topic}")
    missing = kafka.unique("file-missing")
    refused = _cli("--file", str(path), "--topic", missing, bootstrap=kafka.bootstrap)
    assert refused.returncode == 2
    assert refused.stderr.decode() == (
        f"error: topic '{missing}' does not exist; create it, or pass --create "
        "(with --partitions)\n"
    )
