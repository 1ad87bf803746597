"""Replay ranges on the real broker: bad ranges fail before anything runs; --to-live and
dry runs write where they say (nothing, for a dry run)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer, TopicPartition
from kafka_kit import KafkaKit

from connectors.kafka_admin import topic_partitions
from connectors.kafka_config import producer_config
from stream_engine.errors import BrokerError, ConfigError
from stream_engine.runtime.replay import ReplayOptions, run_replay
from stream_engine.spec import load_pipeline
from stream_engine.topology import Topology

T0 = int(time.time() * 1000) - 3_600_000  # recent: old timestamps fall to retention


def _setup(kafka: KafkaKit, tmp_path: Path) -> tuple[Path, str, str]:
    """2 partitions x 10 records at T0 + i s; partition 1 lost offsets 0..4 to retention."""
    source = kafka.topic("rng-src", partitions=2)
    name = kafka.unique("rng")
    kafka.created += [f"{name}-out", f"{name}.dlq"]
    producer = Producer(producer_config(kafka.settings))
    for p in (0, 1):
        for i in range(10):
            value = orjson.dumps({"i": i, "p": p})
            producer.produce(source, value=value, partition=p, timestamp=T0 + i * 1000)
    assert producer.flush(10) == 0
    futures = kafka.admin.delete_records([TopicPartition(source, 1, 5)])
    for future in futures.values():
        future.result()
    path = tmp_path / "p.yaml"
    path.write_text(
        f"pipeline: {name}\nversion: 1\nsources: {{s: {{topic: {source}}}}}\n"
        f"sinks: {{out: {{topic: {name}-out}}}}\n"
    )
    return path, source, name


def _run(kafka: KafkaKit, path: Path, **options: object) -> object:
    spec = load_pipeline(path)
    return run_replay(spec, Topology.build(spec), kafka.settings, ReplayOptions(**options))  # type: ignore[arg-type]


def _iso(ms: int) -> str:
    from stream_engine.spec.replay_bounds import iso

    return iso(ms)


@pytest.mark.parametrize(
    ("start", "end", "error", "fragment"),
    [
        ("0:50", "latest", ConfigError, "--from offset 50 is beyond the end of partition 0"),
        ("0:2", "0:11", ConfigError, "--to offset 11 is beyond the end of partition 0"),
        ("0:5,7:1", "latest", ConfigError, "has no partition 7"),
        ("1:2", "latest", ConfigError, "--from offset 2 of partition 1 of"),
        (_iso(T0 - 1000), "latest", ConfigError, "retention deleted the records before it"),
        (_iso(T0 + 8000), _iso(T0 + 3000), ConfigError, "is after --to"),
        ("0:6", "0:3", ConfigError, "--from offset 6 is after --to offset 3 in partition 0"),
    ],
)
def test_bad_ranges_fail_before_anything_runs(
    kafka: KafkaKit,
    tmp_path: Path,
    start: str,
    end: str,
    error: type[Exception],
    fragment: str,
) -> None:
    path, _source, name = _setup(kafka, tmp_path)
    with pytest.raises(error) as info:
        _run(kafka, path, range_from=start, range_to=end, to_live=True)
    message = str(info.value)
    assert fragment in message and "\n" not in message, message
    assert not topic_partitions(kafka.admin, [f"{name}-out"]), "a bad range wrote something"


def test_unknown_topic_and_cli_exit_codes(kafka: KafkaKit, tmp_path: Path) -> None:
    missing = kafka.unique("nope")
    path = tmp_path / "gone.yaml"
    path.write_text(
        f"pipeline: gone\nversion: 1\nsources: {{s: {{topic: {missing}}}}}\n"
        f"sinks: {{o: {{topic: {kafka.unique('o')}}}}}\n"
    )
    with pytest.raises(BrokerError, match=f"source topic '{missing}' does not exist"):
        _run(kafka, path)
    good, _source, _name = _setup(kafka, tmp_path)
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap, "PATH": "/usr/bin:/bin"}
    for pipeline, args, code in (
        (path, [], 1),
        (good, ["--from", "0:99"], 2),
        (good, ["--from", "yesterday"], 2),
        (good, ["--output", "s3:bucket"], 2),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "stream_engine", "replay", str(pipeline), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == code, proc.stderr
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr


def test_to_live_and_dry_run(kafka: KafkaKit, tmp_path: Path) -> None:
    path, _source, name = _setup(kafka, tmp_path)
    outcome = _run(kafka, path, range_from="0:3", range_to="0:8", dry_run=True)
    assert outcome.summary.dry_run  # type: ignore[attr-defined]
    assert outcome.plan.total == 5  # type: ignore[attr-defined]
    assert not topic_partitions(kafka.admin, [f"{name}-out"])
    outcome = _run(kafka, path, range_from="0:3", range_to="0:8", to_live=True)
    assert outcome.summary.emitted["out"] == 5  # type: ignore[attr-defined]
    got = kafka.read_all(f"{name}-out", expected=5)
    assert sorted(orjson.loads(m.value)["i"] for m in got) == [3, 4, 5, 6, 7]
    # a time range over both partitions; partition 1 starts at offset 5 (retention)
    outcome = _run(
        kafka,
        path,
        range_from=_iso(T0 + 6000),
        range_to=_iso(T0 + 8000),
        output=f"files:{tmp_path}/f",
    )
    rows = [orjson.loads(x) for x in (tmp_path / "f" / "out.jsonl").read_bytes().splitlines()]
    assert sorted((r["p"], r["i"]) for r in rows) == [(0, 6), (0, 7), (1, 6), (1, 7)]


def test_offsets_anchor_windows_on_the_event_time_at_the_start(
    kafka: KafkaKit, tmp_path: Path
) -> None:
    """Event times far from the Kafka timestamps (1976, loaded today): --from offsets."""
    source = kafka.topic("rng-ev")
    name = kafka.unique("rng-ev")
    producer = Producer(producer_config(kafka.settings))
    for i in range(10):
        value = orjson.dumps({"k": "a", "ts": 200_000_000_000 + i * 1000})
        producer.produce(source, key=b"a", value=value, partition=0)
    assert producer.flush(10) == 0
    path = tmp_path / "ev.yaml"
    path.write_text(
        f"pipeline: {name}\nversion: 1\n"
        f"sources: {{s: {{topic: {source}, key: k, event_time: ts}}}}\n"
        f"sinks: {{out: {{topic: {name}-out}}}}\n"
        f"windows: {{w: {{type: tumbling, size: 2s, key: k, aggregate: {{n: count}}, "
        f"sink: {{topic: {name}-w}}}}}}\n"
    )
    outcome = _run(kafka, path, range_from="0:5", output=f"files:{tmp_path}/ev")
    assert outcome.plan.sources[0].partitions[0].start == 0  # type: ignore[attr-defined]  # warm-up
    rows = [orjson.loads(x) for x in (tmp_path / "ev" / "w.jsonl").read_bytes().splitlines()]
    got = [(r["window_start"], r["n"]) for r in rows]
    assert got == [(200_000_006_000, 2), (200_000_008_000, 2)]
    assert outcome.summary.emitted["out"] == 5  # type: ignore[attr-defined]


def test_table_sinks_backfill_live_tables_or_go_to_shadow_topics(
    kafka: KafkaKit, tmp_path: Path
) -> None:
    import duckdb

    path, _source, name = _setup(kafka, tmp_path)
    text = path.read_text().replace(
        "sinks: {", "sinks: {db: {type: duckdb, path: wh.duckdb, table: ev, mode: append}, "
    )
    path.write_text(text)
    outcome = _run(kafka, path, range_from="0:3", range_to="0:8", to_live=True)
    assert outcome.summary.emitted["db"] == 5  # type: ignore[attr-defined]
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert sorted(r[0] for r in con.execute("SELECT i FROM ev").fetchall()) == [3, 4, 5, 6, 7]
    kafka.created += [f"{t}.replay.{name}" for t in ("db", f"{name}-out", f"{name}.dlq")]
    _run(kafka, path, range_from="0:3", range_to="0:5", run_id=name)
    shadow = kafka.read_all(f"db.replay.{name}", expected=2)
    assert sorted(orjson.loads(m.value)["i"] for m in shadow) == [3, 4]
