"""`stream-engine dlq inspect|redrive` on the real broker, run as a subprocess."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kafka_kit import KafkaKit

from stream_engine.dlq import DeadLetter, dead_letter_message
from stream_engine.dlq.tools import format_time

NOW = 1_714_564_800_000  # 2024-05-01T12:00:00Z
HOUR = 3_600_000
BINARY = b"\x00\x00\x00\x00\x07\xff\xfe binary"


def cli(
    *args: str, bootstrap: str = "127.0.0.1:1", stdin: str | None = None, columns: int = 250
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STREAM_ENGINE_KAFKA_BOOTSTRAP_SERVERS"}
    env.update({"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "COLUMNS": str(columns)})
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "dlq", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def pipeline_file(tmp_path: Path, source: str, dlq: str) -> str:
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "pipeline: x\n"
        "version: 1\n"
        f"sources: {{s: {{topic: {source}}}}}\n"
        f"sinks: {{o: {{topic: {source}-out}}}}\n"
        f"dead_letter: {{topic: {dlq}}}\n"
    )
    return str(path)


def letter(
    offset: int,
    *,
    topic: str,
    reason: str = "decode",
    stage: str = "decode",
    key: bytes | None = None,
    value: bytes | None = None,
    at: int = NOW,
    max_bytes: int = 1_000_000,
    headers: tuple[tuple[str, bytes], ...] = (),
    source_ts: int | None = None,
) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]:
    dead = DeadLetter(
        reason=reason,
        stage=stage,
        message=f"{reason} failed for record {offset}",
        key=key if key is not None else f"key-{offset}".encode(),
        value=value if value is not None else f'{{"n": {offset}}}'.encode(),
        topic=topic,
        partition=0,
        offset=offset,
        timestamp_ms=NOW - 10 * HOUR + offset if source_ts is None else source_ts,
        rule="amount > 0" if reason == "rule" else "",
        headers=headers,
    )
    msg = dead_letter_message(dead, "x", at, max_bytes)
    return msg.key, msg.value, msg.headers


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def topics(kafka: KafkaKit, tmp_path: Path) -> tuple[str, str, str]:
    """(pipeline file, source topic, dead-letter topic) with six dead letters in it."""
    source = kafka.topic("dlq-src")
    dlq = kafka.topic("dlq-dead", partitions=2)
    kafka.produce(
        dlq,
        [
            letter(0, topic=source, at=NOW - 3 * HOUR, headers=(("trace", b"t-0"),)),
            letter(1, topic=source, reason="rule", stage="filter", at=NOW - 2 * HOUR),
            letter(2, topic=source, reason="schema", value=BINARY, at=NOW - HOUR),
            letter(
                3,
                topic=source,
                reason="late",
                stage="window",
                value=b"x" * 9_000,
                max_bytes=6_000,
                at=NOW - HOUR + 1,
            ),
            letter(
                4,
                topic=source,
                reason="rule",
                stage="map",
                at=NOW,
                headers=(("trace", b"t-4"), ("raw", b"\xff\x00")),
            ),
            letter(5, topic=source, reason="missing_reference", stage="enrich", at=NOW + 1),
        ],
    )
    return pipeline_file(tmp_path, source, dlq), source, dlq


def inspect_json(kafka: KafkaKit, *args: str) -> list[dict[str, Any]]:
    proc = cli("inspect", *args, "--json", bootstrap=kafka.bootstrap)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_inspect_table(kafka: KafkaKit, topics: tuple[str, str, str]) -> None:
    pipeline, source, dlq = topics
    proc = cli("inspect", pipeline, bootstrap=kafka.bootstrap)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"dead letters in {dlq}" in out
    for text in (
        "2024-05-01T12:00:00.000Z",
        "missing_reference",
        "enrich",
        "amount > 0",
        f"{source}:0:4",
        "key-4",
        "rule failed for record 4",
        '{"n": 4}',
        "<14 bytes: 0000000007fffe",  # the binary value as hex
        "yes (was 9000 bytes)",
    ):
        assert text in out, text
    assert "6 dead letters" in out
    assert "by reason: rule 2, decode 1, late 1, missing_reference 1, schema 1" in out
    assert "truncated: 1" in out

    narrow = cli("inspect", pipeline, "--limit", "2", bootstrap=kafka.bootstrap, columns=80)
    assert narrow.returncode == 0, narrow.stderr
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    for text in ("missing_reference", "stage enrich", ":0:5", "key key-5", "value {"):
        assert text in narrow.stdout, text
    assert "showing the 2 most recent" in narrow.stdout


def test_inspect_json_every_header_and_bytes(kafka: KafkaKit, topics: tuple[str, str, str]) -> None:
    pipeline, source, dlq = topics
    rows = inspect_json(kafka, pipeline)
    assert [r["source"]["offset"] for r in rows] == [0, 1, 2, 3, 4, 5]
    binary = rows[2]
    assert binary["value_encoding"] == "base64"
    assert base64.b64decode(str(binary["value"])) == BINARY
    latest = rows[4]
    assert latest["dlq"]["topic"] == dlq
    assert latest["dead_lettered_at"] == "2024-05-01T12:00:00.000Z"
    assert (latest["reason"], latest["stage"], latest["rule"]) == ("rule", "map", "amount > 0")
    assert latest["source"] == {
        "topic": source,
        "partition": 0,
        "offset": 4,
        "timestamp": NOW - 10 * HOUR + 4,
    }
    assert (latest["key"], latest["key_encoding"]) == ("key-4", "utf-8")
    names = [h["name"] for h in latest["headers"]]
    assert names[:2] == ["trace", "raw"]
    assert {"dlq.reason", "dlq.source.topic", "dlq.timestamp", "dlq.pipeline"} <= set(names)
    assert latest["headers"][1] == {
        "name": "raw",
        "value": base64.b64encode(b"\xff\x00").decode(),
        "encoding": "base64",
    }
    truncated = rows[3]
    assert truncated["truncated"] is True and truncated["original_size"] == 9_000


def test_inspect_filters_and_limit(kafka: KafkaKit, topics: tuple[str, str, str]) -> None:
    pipeline, _, dlq = topics

    def offsets(*args: str) -> list[int]:
        return [r["source"]["offset"] for r in inspect_json(kafka, pipeline, *args)]

    assert offsets("--reason", "rule") == [1, 4]
    assert offsets("--reason", "rule", "--stage", "map") == [4]
    assert offsets("--reason", "decode", "--reason", "late") == [0, 3]
    assert offsets("--since", "2024-05-01T11:00:00Z") == [2, 3, 4, 5]
    assert offsets("--limit", "2") == [4, 5]  # the most recent, oldest first
    assert offsets("--topic", dlq, "--stage", "enrich") == [5]

    table = cli("inspect", pipeline, "--reason", "rule", "--limit", "1", bootstrap=kafka.bootstrap)
    assert table.returncode == 0, table.stderr
    assert "2 dead letters of 6 match; showing the 1 most recent" in table.stdout
    assert "by reason: rule 2" in table.stdout

    nothing = cli("inspect", pipeline, "--reason", "duplicate", bootstrap=kafka.bootstrap)
    assert nothing.returncode == 0
    assert nothing.stdout.strip() == f"no dead letters match (6 dead letters in {dlq})"


def test_inspect_empty_and_missing_topic(kafka: KafkaKit, tmp_path: Path) -> None:
    source = kafka.topic("dlq-src")
    empty = kafka.topic("dlq-empty")
    pipeline = pipeline_file(tmp_path, source, empty)
    proc = cli("inspect", pipeline, bootstrap=kafka.bootstrap)
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, "no dead letters", "")
    as_json = cli("inspect", pipeline, "--json", bootstrap=kafka.bootstrap)
    assert (as_json.returncode, as_json.stdout) == (0, "")

    missing = kafka.unique("dlq-missing")
    proc = cli("inspect", pipeline, "--topic", missing, bootstrap=kafka.bootstrap)
    assert proc.returncode == 1
    assert one_error_line(proc).startswith(f"error: dead-letter topic {missing!r} does not exist")


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("inspect", ["--reason", "oops"], "invalid --reason 'oops': expected one of decode, "),
        ("inspect", ["--stage", "nope"], "invalid --stage 'nope': expected one of decode, "),
        ("inspect", ["--since", "yesterday"], "invalid --since 'yesterday': expected an ISO"),
        ("inspect", ["--since", "1.5h"], "invalid --since '1.5h': fractions are not supported"),
        ("inspect", ["--limit", "-1"], "Invalid value for '--limit'"),
        ("redrive", ["--reason", "oops"], "invalid --reason 'oops': expected one of decode, "),
        ("redrive", ["--since", "soon"], "invalid --since 'soon': expected an ISO"),
        ("redrive", ["--limit", "3"], "No such option: --limit"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(
    tmp_path: Path, command: str, args: list[str], message: str
) -> None:
    pipeline = pipeline_file(tmp_path, "src", "src.dlq")
    proc = cli(command, pipeline, *args)  # no broker needed: checked before connecting
    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc).startswith("error: " + message)


def test_bad_pipeline_file_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = cli("inspect", str(tmp_path / "absent.yaml"))
    assert proc.returncode == 2
    assert "absent.yaml" in one_error_line(proc)


def test_redrive_dry_run_sends_nothing(kafka: KafkaKit, topics: tuple[str, str, str]) -> None:
    pipeline, source, dlq = topics
    proc = cli("redrive", pipeline, "--dry-run", bootstrap=kafka.bootstrap)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith(f'-> {source}  key=key-0 value={{"n": 0}} headers=2')
    assert lines[0].startswith(f"{dlq}:")
    assert f"would redrive 5 dead letters\n  {source}: 5\n" in proc.stdout
    assert "skipped 1 truncated" in proc.stdout
    assert proc.stdout.rstrip().endswith("dry run: nothing sent")
    assert kafka.read_all(source) == []


def test_redrive_restores_the_original_records(
    kafka: KafkaKit, topics: tuple[str, str, str]
) -> None:
    pipeline, source, dlq = topics
    dead = {m.header("dlq.source.offset"): m for m in kafka.read_all(dlq, expected=6)}
    began = int(time.time() * 1000)
    proc = cli("redrive", pipeline, "--yes", bootstrap=kafka.bootstrap)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"redriven 5 dead letters\n  {source}: 5\n")
    assert "skipped 1 truncated (their value is incomplete)" in proc.stdout

    got = kafka.read_all(source, expected=5)
    assert len(got) == 5
    by_key = {m.key: m for m in got}
    assert set(by_key) == {b"key-0", b"key-1", b"key-2", b"key-4", b"key-5"}
    assert [m.key for m in sorted(got, key=lambda m: m.offset)] == [
        b"key-0",
        b"key-1",
        b"key-2",
        b"key-4",
        b"key-5",
    ]  # in source order
    assert by_key[b"key-2"].value == BINARY
    assert by_key[b"key-0"].value == b'{"n": 0}'
    assert all(began <= m.timestamp <= time.time() * 1000 for m in got)  # time of the redrive
    for n, message in ((0, by_key[b"key-0"]), (4, by_key[b"key-4"])):
        origin = dead[str(n).encode()]
        expected = [(k, v) for k, v in origin.headers if not k.startswith("dlq.")]
        assert message.headers == [
            *expected,
            ("dlq.redriven.from", f"{dlq}:{origin.partition}:{origin.offset}".encode()),
        ]
    assert by_key[b"key-4"].headers[:2] == [("trace", b"t-4"), ("raw", b"\xff\x00")]
    assert by_key[b"key-1"].headers == [("dlq.redriven.from", by_key[b"key-1"].headers[0][1])]

    again = cli("redrive", pipeline, "--reason", "rule", "--yes", bootstrap=kafka.bootstrap)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"redriven 2 dead letters\n  {source}: 2\n")
    assert len(kafka.read_all(source, expected=7)) == 7


def test_redrive_skips_a_missing_source_topic(kafka: KafkaKit, tmp_path: Path) -> None:
    source = kafka.topic("dlq-src")
    dlq = kafka.topic("dlq-dead")
    gone = kafka.unique("dlq-gone")
    kafka.produce(
        dlq,
        [
            letter(0, topic=gone),
            letter(1, topic=source),
            letter(2, topic=gone),
            letter(1, topic=source),  # dead-lettered again after a crash (at-least-once)
        ],
    )
    pipeline = pipeline_file(tmp_path, source, dlq)
    proc = cli("redrive", pipeline, "--yes", bootstrap=kafka.bootstrap)
    assert proc.returncode == 0, proc.stderr
    assert f"redriven 1 dead letter\n  {source}: 1\n" in proc.stdout
    assert f"skipped 2: source topic {gone!r} does not exist" in proc.stdout
    assert (
        "skipped 1 duplicate (the same source record dead-lettered more than once)" in proc.stdout
    )
    assert [m.key for m in kafka.read_all(source, expected=1)] == [b"key-1"]


def test_redrive_asks_first(kafka: KafkaKit, topics: tuple[str, str, str]) -> None:
    pipeline, source, _ = topics
    no_stdin = cli("redrive", pipeline, bootstrap=kafka.bootstrap)
    assert no_stdin.returncode == 2
    assert one_error_line(no_stdin) == (
        "error: redrive needs confirmation: pass --yes (or --dry-run to preview)"
    )
    declined = cli("redrive", pipeline, bootstrap=kafka.bootstrap, stdin="n\n")
    assert declined.returncode == 1
    assert f"redrive 5 dead letters to {source} (5)? [y/N]" in declined.stdout
    assert "nothing sent" in declined.stdout
    accepted = cli("redrive", pipeline, "--stage", "enrich", bootstrap=kafka.bootstrap, stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert [m.key for m in kafka.read_all(source, expected=1)] == [b"key-5"]


def test_redrive_of_an_empty_topic(kafka: KafkaKit, tmp_path: Path) -> None:
    source = kafka.topic("dlq-src")
    pipeline = pipeline_file(tmp_path, source, kafka.topic("dlq-empty"))
    proc = cli("redrive", pipeline, "--yes", bootstrap=kafka.bootstrap)
    assert (proc.returncode, proc.stdout.strip()) == (0, "no dead letters")


def test_redrive_keep_timestamp(kafka: KafkaKit, tmp_path: Path) -> None:
    source = kafka.topic("dlq-src", config={"retention.ms": str(24 * HOUR)})
    dlq = kafka.topic("dlq-dead")
    recent = int(time.time() * 1000) - HOUR
    kafka.produce(
        dlq,
        [
            letter(0, topic=source, source_ts=recent),
            letter(1, topic=source, source_ts=recent - 30 * 24 * HOUR),  # past the retention
        ],
    )
    pipeline = pipeline_file(tmp_path, source, dlq)
    dry = cli("redrive", pipeline, "--keep-timestamp", "--dry-run", bootstrap=kafka.bootstrap)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0].endswith(f"timestamp={format_time(recent)}")
    proc = cli("redrive", pipeline, "--keep-timestamp", "--yes", bootstrap=kafka.bootstrap)
    assert proc.returncode == 0, proc.stderr
    assert f"redriven 1 dead letter\n  {source}: 1\n" in proc.stdout
    assert f"skipped 1: older than the retention of topic {source!r}" in proc.stdout
    (got,) = kafka.read_all(source, expected=1)
    assert (got.key, got.timestamp) == (b"key-0", recent)
