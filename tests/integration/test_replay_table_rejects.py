"""Replay to live tables: rows a table sink rejects are counted as dead letters, not emitted."""

from __future__ import annotations

from pathlib import Path

import duckdb
from kafka_kit import KafkaKit

from stream_engine.runtime.replay import ReplayOptions, run_replay
from stream_engine.spec import load_pipeline
from stream_engine.topology import Topology


def test_rejected_table_rows_are_dead_letters_in_the_summary(
    kafka: KafkaKit, tmp_path: Path
) -> None:
    dlq = kafka.topic("dlq")
    (tmp_path / "p.yaml").write_text(
        "pipeline: rejects\nversion: 1\n"
        f"sources:\n  s: {{topic: {kafka.unique('src')}, format: json, key: id}}\n"
        "sinks:\n  dk: {type: duckdb, path: t.duckdb, table: t, mode: upsert, key: id}\n"
        f"dead_letter:\n  topic: {dlq}\n"
    )
    source = tmp_path / "rows.jsonl"
    source.write_text('{"id": 1, "v": 1}\n{"v": 2}\n{"id": 3, "v": 3}\n{"id": null}\n')
    spec = load_pipeline(tmp_path / "p.yaml")
    outcome = run_replay(
        spec, Topology.build(spec), kafka.settings, ReplayOptions(source_path=source, to_live=True)
    )
    with duckdb.connect(str(tmp_path / "t.duckdb")) as con:
        assert con.sql("SELECT id FROM t ORDER BY id").fetchall() == [(1,), (3,)]
    assert outcome.summary.emitted["dk"] == 2
    assert sum(outcome.summary.dead_letters.values()) == 2
    assert len(kafka.read_all(dlq)) == 2
