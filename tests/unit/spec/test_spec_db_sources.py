"""`sources` entries with `type: postgres`: what is accepted, the derived topics, the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stream_engine.cli.main import app
from stream_engine.runtime.db_sources import extract_topic_requests
from stream_engine.spec import PipelineFileError, SourceSpec, load_pipeline
from stream_engine.spec.db_sources import CURSOR_TOPIC, PostgresSourceSpec, database_sources
from stream_engine.spec.durations import Duration

SECRET_DSN = "postgresql://app:s3cret@db:5432/shop"
CUSTOMERS = """\
    type: postgres
    dsn: ${PG_DSN}
    table: customers
    cursor: [updated_at, id]
    topic: shop.customers
    key: id
    poll: 5s
    safety_lag: 30s
    page_size: 1000
"""


def write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(
        "pipeline: shop\nversion: 1\n"
        "sources:\n  orders: {topic: orders}\n  customers:\n"
        f"{source}"
        "sinks:\n  out: {topic: out}\n"
    )
    return path


def load(tmp_path: Path, source: str):  # type: ignore[no-untyped-def]
    return load_pipeline(write(tmp_path, source), env={"PG_DSN": SECRET_DSN})


def test_the_issue_example_parses_beside_a_topic_source(tmp_path: Path) -> None:
    spec = load(tmp_path, CUSTOMERS)
    orders, customers = spec.sources["orders"], spec.sources["customers"]
    assert type(orders) is SourceSpec  # no type: a topic source, as before
    assert isinstance(customers, PostgresSourceSpec)
    assert (customers.table, customers.watermark, customers.primary_key) == (
        "customers",
        "updated_at",
        "id",
    )
    assert (customers.poll, customers.safety_lag, customers.page_size) == (
        Duration(5_000),
        Duration(30_000),
        1000,
    )
    assert customers.dsn.get_secret_value() == SECRET_DSN
    assert "s3cret" not in repr(spec) and "s3cret" not in customers.describe()
    assert list(database_sources(spec.sources)) == ["customers"]
    assert spec.topics_read() == ["orders", "shop.customers"]
    requests = extract_topic_requests(spec)
    assert [(r.name, r.partitions, r.config) for r in requests] == [
        ("shop.customers", 4, {"cleanup.policy": "delete"}),
        (CURSOR_TOPIC, 1, {"cleanup.policy": "compact"}),
    ]


def test_defaults_and_the_key_follows_the_primary_key(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        "    {type: postgres, dsn: '${PG_DSN}', table: s.t, cursor: [v, pk], topic: t}\n",
    )
    source = spec.sources["customers"]
    assert isinstance(source, PostgresSourceSpec)
    assert (source.key, source.format, source.event_time) == ("pk", "json", None)
    assert (source.poll, source.safety_lag, source.page_size) == (
        Duration(5_000),
        Duration(5_000),
        1000,
    )
    assert source.cursor_name == "s.t-t"


def test_a_pipeline_without_database_sources_creates_no_extract_topics(tmp_path: Path) -> None:
    spec = load(tmp_path, "    {topic: customers}\n")
    assert extract_topic_requests(spec) == []


BASE = "type: postgres, dsn: d, table: t, topic: x"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{type: mysql, topic: x}",
            "sources.customers.type: expected postgres (or no type for a topic source), "
            "got 'mysql'",
        ),
        ("{type: postgres, table: t, cursor: [a, b], topic: x}", "sources.customers.dsn: field"),
        ("{type: postgres, dsn: d, cursor: [a, b], topic: x}", "sources.customers.table: field"),
        (f"{{{BASE}}}", "sources.customers.cursor: field required"),
        (
            f"{{{BASE}, cursor: [updated_at]}}",
            "sources.customers.cursor: expected [watermark column, primary key], e.g. "
            "[updated_at, id], got ['updated_at']",
        ),
        (
            f"{{{BASE}, cursor: updated_at}}",
            "sources.customers.cursor: expected [watermark column, primary key]",
        ),
        (
            "{type: postgres, dsn: d, table: 't;drop', cursor: [a, b], topic: x}",
            "sources.customers.table: invalid table name 't;drop'",
        ),
        (f"{{{BASE}, cursor: [a, b], poll: 0s}}", "sources.customers.poll: expected a duration"),
        (
            f"{{{BASE}, cursor: [a, b], page_size: 0}}",
            "sources.customers.page_size: expected at least 1, got 0",
        ),
        (f"{{{BASE}, cursor: [a, b], pol: 1s}}", "sources.customers.pol: unknown key"),
        ("{dsn: d, topic: x}", "sources.customers.dsn: unknown key"),  # no type: a topic
    ],
)
def test_bad_database_sources(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(PipelineFileError) as info:
        load(tmp_path, f"    {source}\n")
    assert any(message in line for line in info.value.errors), info.value.errors


def test_check_lists_the_extractor_without_the_password(tmp_path: Path) -> None:
    path = write(tmp_path, CUSTOMERS)
    result = CliRunner().invoke(
        app, ["check", str(path)], env={"PG_DSN": SECRET_DSN, "COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # the tree wraps long lines
    assert (
        "customers: postgres table customers -> topic shop.customers (json, created when "
        "missing); extractor: "
        "cursor (updated_at, id), poll 5s, safety lag 30s, page 1000; cursor in "
        f"{CURSOR_TOPIC}" in text
    ), result.output
    assert "s3cret" not in result.output
