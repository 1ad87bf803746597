"""Source URIs and bounds: parsing, table choice and one-line errors (no services needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stream_engine.errors import BrokerError, ConfigError
from stream_engine.quality.loader import parse_rules
from stream_engine.quality.offline import choose_table
from stream_engine.quality.sources import open_source
from stream_engine.quality.sources.kafka_range import (
    parse_range_bound,
    parse_topic_range,
    read_topic_range,
)
from stream_engine.quality.sources.postgres_table import split_dsn
from stream_engine.quality.sources.uri import scheme_of
from stream_engine.settings import Settings
from stream_engine.spec.replay_bounds import Bound

URI = "kafka://t"


NOW = 1_780_000_000_000


@pytest.mark.parametrize(
    ("name", "text", "bound"),
    [
        ("from", "earliest", Bound("earliest")),
        ("to", "latest", Bound("latest")),
        ("to", "now", Bound("time", time_ms=NOW)),
        ("from", "2h", Bound("time", time_ms=NOW - 7_200_000)),
        ("from", "0:120,1:80", Bound("offsets", offsets=((0, 120), (1, 80)))),
        (
            "from",
            "2026-05-01T10:00:00Z",
            Bound("time", time_ms=int(datetime(2026, 5, 1, 10, tzinfo=UTC).timestamp() * 1000)),
        ),
        (
            "to",
            "2026-05-01",
            Bound("time", time_ms=int(datetime(2026, 5, 1, tzinfo=UTC).timestamp() * 1000)),
        ),
        ("from", "2026-05-01T12:00:00+02:00", Bound("time", time_ms=1777629600000)),
    ],
)
def test_bounds_are_written_as_for_replay(name: str, text: str, bound: Bound) -> None:
    assert parse_range_bound(text, name, URI, NOW) == bound


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("from", "soon", r"^kafka://t: from='soon': expected earliest, latest, now, an ISO-8601"),
        ("from", "0:1,0:2", r"^kafka://t: from='0:1,0:2': partition 0 is given twice$"),
        ("from", "latest", r"^kafka://t: from='latest': latest is only an end"),
        ("to", "earliest", r"^kafka://t: to='earliest': earliest is only a start"),
    ],
)
def test_bad_bounds(name: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_range_bound(text, name, URI, NOW)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("kafka://?from=0", r"expected kafka://TOPIC\?from=...&to=..."),
        ("kafka://host:9092/topic", r"expected kafka://TOPIC"),
        (
            "kafka://t?form=0",
            r"unknown parameter 'form' \(known: format, from, schema, schema_dir, to\)",
        ),
        ("kafka://t?from=0&from=1", r"parameter 'from' is given twice"),
        ("kafka://t?format=xml", r"format='xml': expected json or avro"),
        ("kafka://t?format=avro", r"schemaless Avro needs a schema"),
    ],
)
def test_bad_kafka_uris(uri: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_topic_range(uri)


def test_kafka_uri_defaults() -> None:
    spec = parse_topic_range("kafka://page-views")
    assert (spec.topic, spec.start, spec.end) == ("page-views", Bound("earliest"), Bound("latest"))


def test_postgres_dsn_drops_table_and_hides_the_password() -> None:
    dsn, table, label = split_dsn(
        "postgresql://u:secret@db:5432/shop?table=orders&sslmode=disable", None
    )
    assert dsn == "postgresql://u:secret@db:5432/shop?sslmode=disable&connect_timeout=5"
    assert table == "orders"
    assert label == "postgresql://u:***@db:5432/shop table orders"
    assert split_dsn("postgresql://u@h/db", "public.t")[1:] == (
        "public.t",
        "postgresql://u@h/db table public.t",
    )
    with pytest.raises(ConfigError, match=r"postgresql://u:\*\*\*@h/db: name the table") as caught:
        split_dsn("postgresql://u:pw@h/db", None)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("s3://bucket/x.parquet", r"unknown source scheme 's3' \(known: kafka://, postgresql://"),
        ("duckdb://x.duckdb?tab=1", r"unknown parameter 'tab' \(known: table\)"),
        ("missing.parquet", r"missing.parquet: no such file or folder"),
        ("data.duckdb", r"data.duckdb: name the table"),
    ],
)
def test_bad_sources(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_source(source, table=None, settings=Settings())


def test_scheme_of() -> None:
    assert scheme_of("postgresql://u@h/db") == "postgresql"
    assert scheme_of("data/x.csv") is None
    assert scheme_of("C:/x.csv") is None


def test_table_choice() -> None:
    one = parse_rules({"tables": {"orders": {}}}, "r.yaml")
    two = parse_rules({"tables": {"orders": {}, "users": {}}}, "r.yaml")
    assert choose_table(one, None, "anything", "r.yaml") == "orders"
    assert choose_table(two, None, "users", "r.yaml") == "users"
    assert choose_table(two, "orders", "users", "r.yaml") == "orders"
    with pytest.raises(
        ConfigError, match=r"r.yaml has several tables \(orders, users\) and none is named 'x'"
    ):
        choose_table(two, None, "x", "r.yaml")
    with pytest.raises(ConfigError, match=r"r.yaml: no table 'x' \(tables: orders, users\)"):
        choose_table(two, "x", "users", "r.yaml")


def test_unreachable_broker_is_one_line_and_librdkafka_stays_quiet(
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:1")
    with pytest.raises(BrokerError, match=r"no Kafka broker answered at 127\.0\.0\.1:1") as caught:
        read_topic_range("kafka://t", settings, idle_timeout_s=1)
    assert "\n" not in str(caught.value)
    assert capfd.readouterr().err == ""
