"""connectors.files: every format reads to the same rows, folders in order, one-line errors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import fastavro
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors import files
from stream_engine.errors import ConfigError, DataSourceError

ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "ann", "amount": 2.5, "p": 0},
    {"id": 2, "name": None, "amount": 7.0, "p": 1},
    {"id": 3, "name": "cy", "amount": -1.25, "p": 0},
]
AVRO_SCHEMA = {
    "type": "record",
    "name": "row",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": ["null", "string"]},
        {"name": "amount", "type": "double"},
        {"name": "p", "type": "int"},
    ],
}


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    """The rows in the format the extension names, written without connectors.files."""
    suffix = path.suffix
    if suffix == ".csv":
        header = ",".join(rows[0])
        lines = [",".join("" if v is None else str(v) for v in r.values()) for r in rows]
        path.write_text("\n".join([header, *lines]) + "\n")
    elif suffix == ".jsonl":
        path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    elif suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif suffix == ".avro":
        with path.open("wb") as out:
            fastavro.writer(out, AVRO_SCHEMA, rows)
    return path


def normalized(frame_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in frame_rows
    ]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".avro"])
def test_each_format_reads_the_same_rows(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"rows{suffix}", ROWS)
    frame = files.read_frame(path)
    assert list(frame.columns) == ["id", "name", "amount", "p"]
    assert normalized(frame.to_dict("records")) == ROWS
    assert list(files.iter_values(path)) == ROWS


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".avro"])
def test_partition_column_leaves_the_record(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"rows{suffix}", ROWS)
    got = list(files.iter_records(path, partition_column="p"))
    assert [r.partition for r in got] == [0, 1, 0]
    assert [r.row for r in got] == [0, 1, 2]
    assert [r.value for r in got] == [{k: v for k, v in r.items() if k != "p"} for r in ROWS]


def test_folder_reads_files_in_sorted_order_and_skips_markers(tmp_path: Path) -> None:
    write(tmp_path / "b.parquet", ROWS[2:])
    sub = tmp_path / "a"
    sub.mkdir()
    write(sub / "x.csv", ROWS[:2])
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / ".part.crc").write_text("junk")
    assert files.data_files(tmp_path) == [sub / "x.csv", tmp_path / "b.parquet"]
    frame = files.read_frame(tmp_path)
    assert normalized(frame.to_dict("records")) == ROWS
    records = list(files.iter_records(tmp_path))
    assert [(r.file.name, r.row) for r in records] == [("x.csv", 0), ("x.csv", 1), ("b.parquet", 0)]


def test_jsonl_with_a_column_changing_type_loads_as_objects(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"a": 1}\n\n{"a": "x"}\n{"a": null}\n')
    assert files.read_frame(path)["a"].tolist() == [1, "x", None]
    with pytest.raises(DataSourceError, match=r"mixed.jsonl: a column changes type"):
        files.read_table(path)


def test_empty_csv_cell_is_null_for_strings(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("name,n\n,1\nb,\n")
    frame = files.read_frame(path)
    assert frame["name"].isna().tolist() == [True, False]
    assert frame["n"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("missing.csv", None, ConfigError, r"missing.csv: no such file or folder"),
        ("notes.txt", b"x", ConfigError, r"notes.txt: unknown data file extension '.txt'"),
        ("bad.parquet", b"garbage", DataSourceError, r"bad.parquet: cannot read parquet file"),
        ("bad.avro", b"Obj\x01zz", DataSourceError, r"bad.avro: cannot read avro file"),
        ("bad.jsonl", b'{"a": 1}\n{"a":\n', DataSourceError, r"bad.jsonl: line 2: invalid JSON"),
        ("list.jsonl", b"[1, 2]\n", DataSourceError, r"list.jsonl: line 1: not a JSON object"),
        ("latin1.csv", b"\xff\xfe\x00id\n1\n", DataSourceError, r"latin1.csv: .*(utf-8|UTF-8)"),
    ],
)
def test_bad_inputs_are_one_line_errors_naming_the_file(
    tmp_path: Path, name: str, content: bytes | None, error: type[Exception], message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    for read in (files.read_frame, lambda p: list(files.iter_values(p))):
        with pytest.raises(error, match=message) as caught:
            read(path)
        assert "\n" not in str(caught.value)


def test_stray_file_in_a_folder_and_empty_folder_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"holds no data files"):
        files.data_files(tmp_path)
    write(tmp_path / "ok.csv", ROWS)
    (tmp_path / "README.md").write_text("hi")
    with pytest.raises(ConfigError, match=r"README.md: unknown data file extension"):
        files.read_frame(tmp_path)


def test_bad_partition_values_name_file_and_row(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", [{"p": 0}, {"p": -1}])
    with pytest.raises(DataSourceError, match=r"p.jsonl: row 1: partition column 'p' holds -1"):
        list(files.iter_records(path, partition_column="p"))
    with pytest.raises(DataSourceError, match=r"row 0: no partition column 'q'"):
        list(files.iter_records(path, partition_column="q"))


def test_files_with_incompatible_types_in_a_folder(tmp_path: Path) -> None:
    write(tmp_path / "a.parquet", [{"x": 1}])
    write(tmp_path / "b.parquet", [{"x": "one"}])
    with pytest.raises(DataSourceError, match=r"do not share compatible column types"):
        files.read_frame(tmp_path)


@pytest.mark.parametrize("rows", [3, 400_000])  # one Arrow block, and several
def test_csv_late_text_cell_makes_a_text_column_at_any_size(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "late.csv"
    path.write_text("id,n\n" + "".join(f"{i},12345\n" for i in range(rows - 1)) + f"{rows},abc\n")
    frame = files.read_frame(path)
    assert len(frame) == rows
    assert frame["id"].tolist() == [*range(rows - 1), rows]
    assert frame["n"].iloc[0] == "12345" and frame["n"].iloc[-1] == "abc"
    records = list(files.iter_values(path))
    assert records[0] == {"id": 0, "n": "12345"} and records[-1] == {"id": rows, "n": "abc"}


def test_jsonl_too_long_for_arrow_blocks_or_mixed_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "wide.jsonl"
    big = "x" * 3_000_000  # one line longer than Arrow's read block
    path.write_text(orjson.dumps({"a": 1, "s": big}).decode() + "\n" + '{"a": 2, "s": "y"}\n')
    frame = files.read_frame(path)
    assert frame["a"].tolist() == [1, 2] and frame["s"].str.len().tolist() == [3_000_000, 1]


def test_avro_union_of_several_types_loads_row_wise(tmp_path: Path) -> None:
    schema = {
        "type": "record",
        "name": "r",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "u", "type": ["null", "string", "double"]},
        ],
    }
    path = tmp_path / "u.avro"
    with path.open("wb") as handle:
        fastavro.writer(
            handle, schema, [{"id": 1, "u": "x"}, {"id": 2, "u": 2.5}, {"id": 3, "u": None}]
        )
    frame = files.read_frame(path)
    assert frame["id"].tolist() == [1, 2, 3]
    assert frame["u"].tolist()[:2] == ["x", 2.5] and frame["u"].isna().tolist() == [
        False,
        False,
        True,
    ]
