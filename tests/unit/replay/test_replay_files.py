"""Files as a replay source: JSONL, CSV, Parquet and Avro rows take the topic's path
(encode -> decode -> steps -> windows) and give the brute-force window results."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import fastavro
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stream_engine.runtime.replay import ReplayOptions, run_replay
from stream_engine.settings import Settings
from stream_engine.spec import load_pipeline
from stream_engine.topology import Topology

PIPELINE = """
pipeline: files
version: 1
sources:
  events: {topic: unused, key: user_id, event_time: ts}
steps:
  - filter: "amount >= 0"
sinks:
  kept: {topic: kept, fields: [user_id, amount]}
windows:
  minute:
    type: tumbling
    size: 1m
    grace: 1s
    key: user_id
    aggregate: {n: count, total: {sum: amount}}
    sink: {topic: minute}
"""
AVRO_SCHEMA = {
    "type": "record",
    "name": "Event",
    "fields": [
        {"name": "user_id", "type": "string"},
        {"name": "ts", "type": "long"},
        {"name": "amount", "type": "long"},
        {"name": "part", "type": "long"},
    ],
}


def _rows() -> list[dict[str, Any]]:
    rng = random.Random(4)
    rows = []
    for i in range(400):
        user = f"u{rng.randrange(5)}"
        # ordered enough that nothing is late with grace 1s: windows are exact
        rows.append(
            {
                "user_id": user,
                "ts": 1_700_000_000_000 + i * 700,
                "amount": rng.randrange(-2, 9),
                "part": int(user[1:]) % 2,
            }
        )
    return rows


def _expected(rows: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[int, int]]:
    out: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r["amount"] >= 0:
            cell = out[(r["user_id"], r["ts"] // 60_000 * 60_000)]
            cell[0] += 1
            cell[1] += r["amount"]
    return {k: (v[0], v[1]) for k, v in out.items()}


def _write(fmt: str, path: Path, rows: list[dict[str, Any]]) -> Path:
    file = path / f"events.{fmt}"
    if fmt == "jsonl":
        file.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    elif fmt == "csv":
        with file.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), file)
    else:
        with file.open("wb") as handle:
            fastavro.writer(handle, AVRO_SCHEMA, rows)
    return file


def _replay(tmp_path: Path, source: Path, **options: Any) -> tuple[Any, Path]:
    (tmp_path / "p.yaml").write_text(PIPELINE)
    spec = load_pipeline(tmp_path / "p.yaml")
    out = tmp_path / "out"
    outcome = run_replay(
        spec,
        Topology.build(spec),
        Settings(),
        ReplayOptions(source_path=source, output=f"files:{out}", **options),
    )
    return outcome.summary, out


def _windows(out: Path) -> dict[tuple[str, int], tuple[int, int]]:
    rows = [orjson.loads(x) for x in (out / "minute.jsonl").read_bytes().splitlines()]
    return {(r["key"], r["window_start"]): (r["n"], r["total"]) for r in rows}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "avro"])
def test_each_format_gives_the_brute_force_windows(tmp_path: Path, fmt: str) -> None:
    rows = _rows()
    summary, out = _replay(tmp_path, _write(fmt, tmp_path, rows))
    assert _windows(out) == _expected(rows)
    kept = [r for r in rows if r["amount"] >= 0]
    assert summary.records_read == len(rows)
    assert summary.emitted["kept"] == len(kept)
    got = [orjson.loads(x) for x in (out / "kept.jsonl").read_bytes().splitlines()]
    assert got == [{"user_id": r["user_id"], "amount": r["amount"]} for r in kept]


def test_a_partition_column_splits_rows_and_a_folder_is_one_partition_per_file(
    tmp_path: Path,
) -> None:
    rows = _rows()
    folder = tmp_path / "data"
    folder.mkdir()
    _write("jsonl", folder, rows)
    _summary, out = _replay(tmp_path, folder, partition_column="part")
    assert _windows(out) == _expected(rows)
    # two files, each a partition of its own: each user's windows split between them
    halves = tmp_path / "halves"
    halves.mkdir()
    for i, half in enumerate((rows[:200], rows[200:])):
        (halves / f"{i}.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in half))
    (tmp_path / "h").mkdir()
    _summary, out = _replay(tmp_path / "h", halves)
    got = [orjson.loads(x) for x in (out / "minute.jsonl").read_bytes().splitlines()]
    want = [(*k, *v) for half in (rows[:200], rows[200:]) for k, v in _expected(half).items()]
    assert sorted((r["key"], r["window_start"], r["n"], r["total"]) for r in got) == sorted(want)


def test_undecodable_rows_are_dead_letters(tmp_path: Path) -> None:
    rows = _rows()[:20]
    rows[3] = {**rows[3], "amount": "lots"}  # filter: a type error -> eval_error
    del rows[5]["ts"]  # no event time -> window eval_error
    summary, out = _replay(tmp_path, _write("jsonl", tmp_path, rows))
    dead = [orjson.loads(x) for x in (out / "dead_letters.jsonl").read_bytes().splitlines()]
    assert sorted((d["source_offset"], d["stage"], d["reason"]) for d in dead) == [
        (3, "filter", "eval_error"),
        (5, "window", "eval_error"),
    ]
    assert dict(summary.dead_letters) == {"eval_error": 2}


def test_duckdb_and_parquet_targets_hold_the_same_tables(tmp_path: Path) -> None:
    import duckdb

    rows = _rows()
    rows[7] = {**rows[7], "amount": "lots"}
    source = _write("jsonl", tmp_path, rows)
    (tmp_path / "p.yaml").write_text(PIPELINE)
    spec = load_pipeline(tmp_path / "p.yaml")
    db = tmp_path / "replay.duckdb"
    for output, fmt in ((f"duckdb:{db}", "jsonl"), (f"files:{tmp_path / 'pq'}", "parquet")):
        run_replay(
            spec,
            Topology.build(spec),
            Settings(),
            ReplayOptions(source_path=source, output=output, file_format=fmt),  # type: ignore[arg-type]
        )
    expected = _expected([r for i, r in enumerate(rows) if i != 7])
    with duckdb.connect(str(db)) as con:
        got = con.execute("SELECT key, window_start, n, total FROM minute").fetchall()
        dead = con.execute("SELECT source_offset, reason FROM dead_letters").fetchall()
    assert {(k, s): (n, t) for k, s, n, t in got} == expected
    assert dead == [(7, "eval_error")]
    table = pq.read_table(tmp_path / "pq" / "minute.parquet").to_pylist()
    assert {(r["key"], r["window_start"]): (r["n"], r["total"]) for r in table} == expected


def test_table_and_file_sinks_of_the_pipeline_become_tables(tmp_path: Path) -> None:
    rows = _rows()
    text = PIPELINE.replace(
        "sinks:\n", "sinks:\n  db: {type: duckdb, path: wh.duckdb, table: events, mode: append}\n"
    ).replace(
        "    sink: {topic: minute}",
        "    sink: {topic: minute, table: {type: duckdb, path: wh.duckdb, table: per_minute}}",
    )
    (tmp_path / "p.yaml").write_text(text)
    spec = load_pipeline(tmp_path / "p.yaml")
    out = tmp_path / "out"
    summary = run_replay(
        spec,
        Topology.build(spec),
        Settings(),
        ReplayOptions(source_path=_write("jsonl", tmp_path, rows), output=f"files:{out}"),
    ).summary
    kept = [r for r in rows if r["amount"] >= 0]
    got = [orjson.loads(x) for x in (out / "db.jsonl").read_bytes().splitlines()]
    assert got == kept
    table = [orjson.loads(x) for x in (out / "minute_table.jsonl").read_bytes().splitlines()]
    assert {(r["key"], r["window_start"]): (r["n"], r["total"]) for r in table} == _expected(rows)
    assert summary.emitted["db"] == len(kept)
    assert not (tmp_path / "wh.duckdb").exists()  # the live warehouse is not touched


def test_an_output_folder_that_cannot_be_made_is_one_error_line(tmp_path: Path) -> None:
    from stream_engine.errors import StreamEngineError
    from stream_engine.runtime.replay.file_targets import FilesTarget

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StreamEngineError, match=r"cannot make the folder .*file/out: ") as caught:
        FilesTarget(blocker / "out")
    assert "\n" not in str(caught.value)
