"""`sinks` entries with a type: what `check` accepts and the exact refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_engine.spec import PipelineFileError, load_pipeline
from stream_engine.topology import Topology

HEAD = (
    "pipeline: shop\nversion: 1\n"
    "sources:\n  orders: {topic: orders}\n  customers: {topic: customers}\nsinks:\n"
)


def load(tmp_path: Path, sinks: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    (tmp_path / "p.yaml").write_text(HEAD + sinks)
    return load_pipeline(tmp_path / "p.yaml", env=env or {})


def test_database_and_file_sinks_beside_topic_sinks(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        "  raw: {topic: orders-copy}\n"
        "  dim: {type: duckdb, path: w.duckdb, table: dim_customer, mode: scd2, key: customer_id,"
        " tracked: [segment], source: customers}\n"
        "  pg: {type: postgres, dsn: '${PG_DSN}', table: sales, mode: upsert, key: [order_id]}\n"
        "  files: {type: parquet, path: out}\n",
        env={"PG_DSN": "postgresql://app:s3cret@db/shop"},
    )
    assert list(spec.topic_sinks) == ["raw"]
    assert list(spec.table_sinks) == ["dim", "pg", "files"]
    assert spec.topics_written() == ["orders-copy", "shop.dlq"]
    dim = spec.table_sinks["dim"]
    assert dim.path == tmp_path / "w.duckdb"  # relative to the pipeline file
    described = Topology.build(spec).describe()
    assert described["sinks"]["pg"] == "postgres#sales (upsert)"
    assert "s3cret" not in repr(spec) and "s3cret" not in str(described)


@pytest.mark.parametrize(
    ("sink", "message"),
    [
        ("{type: duckdb, table: t}", "sinks.x: a duckdb sink needs path (the database file)"),
        ("{type: postgres, table: t}", "sinks.x: a postgres sink needs dsn (e.g. dsn: ${PG_DSN})"),
        ("{type: duckdb, path: w, table: t, mode: upsert}", "sinks.x: mode upsert needs key"),
        (
            "{type: duckdb, path: w, table: t, mode: scd2, key: id}",
            "sinks.x: mode scd2 needs tracked",
        ),
        ("{type: duckdb, path: w, table: 't;drop'}", "sinks.x.table: invalid table name 't;drop'"),
        (
            "{type: duckdb, path: w, table: t, tracked: [a]}",
            "sinks.x: tracked is only used with mode scd2",
        ),
        (
            "{type: duckdb, path: w, table: t, source: nope}",
            "sinks.x.source: unknown source 'nope' (known: orders, customers)",
        ),
        (
            "{type: duckdb, path: w, table: t, mode: merge}",
            "sinks.x.mode: expected one of append, upsert, replace_partition, scd2, fact, "
            "got 'merge'",
        ),
        ("{type: parquet, path: o, tabel: t}", "sinks.x.tabel: unknown key"),
    ],
)
def test_bad_table_sinks(tmp_path: Path, sink: str, message: str) -> None:
    with pytest.raises(PipelineFileError) as info:
        load(tmp_path, f"  x: {sink}\n")
    assert any(message in line for line in info.value.errors), info.value.errors


def test_an_unknown_sink_type_lists_every_type(tmp_path: Path) -> None:
    with pytest.raises(PipelineFileError) as caught:
        load(tmp_path, "  o: {type: mysql, table: t}\n")
    assert str(caught.value).endswith(
        "sinks.o.type: expected one of duckdb, postgres, parquet, got 'mysql'"
    )


@pytest.mark.parametrize(
    "sink", ["{type: duckdb, path: '', table: t}", "{type: parquet, path: ''}"]
)
def test_an_empty_sink_path_is_refused(tmp_path: Path, sink: str) -> None:
    with pytest.raises(PipelineFileError) as caught:
        load(tmp_path, f"  o: {sink}\n")
    assert str(caught.value).endswith("sinks.o.path: expected a file or folder path, got ''")
