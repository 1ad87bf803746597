"""Table, SCD2 and fact sinks on a real DuckDB file and a real PostgreSQL, row by row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.base import SinkRow, SinkSchemaError
from connectors.sql.database import Database, DuckDBDatabase, PostgresDatabase
from connectors.sql.fact_sink import DimensionRef, FactSink
from connectors.sql.scd2_sink import Scd2Sink
from connectors.sql.table_sink import TableSink

END = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def day(d: int, month: int = 1) -> dt.datetime:
    return dt.datetime(2024, month, d, tzinfo=dt.UTC)


@pytest.fixture(params=["duckdb", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "duckdb":
        return DuckDBDatabase(tmp_path / "warehouse.duckdb")
    dsn = request.getfixturevalue("postgres_dsn")
    return PostgresDatabase(dsn)


def rows(*values: dict[str, object], ts: int = 0) -> list[SinkRow]:
    return [SinkRow(dict(v), ts) for v in values]


def utc(value: object) -> object:
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def table(db: Database, sql: str) -> list[tuple[object, ...]]:
    return [tuple(utc(x) for x in r) for r in db.fetch(sql)]


def test_upsert_overwrites_by_key_and_adds_nullable_columns(db: Database) -> None:
    sink = TableSink("w", db, "views_5m", "upsert", ["key", "window_start"])
    sink.add(
        rows(
            {"key": "a", "window_start": 0, "views": 1}, {"key": "b", "window_start": 0, "views": 2}
        )
    )
    sink.add(rows({"key": "a", "window_start": 0, "views": 3}))  # last of a key wins
    assert sink.flush() == []
    sink.add(rows({"key": "a", "window_start": 0, "views": 3}))  # redelivered: no change
    sink.add(rows({"key": "c", "window_start": 300, "views": 1, "seconds": 2.5}))
    sink.flush()
    got = table(db, "SELECT key, window_start, views, seconds FROM views_5m ORDER BY key")
    assert got == [("a", 0, 3, None), ("b", 0, 2, None), ("c", 300, 1, 2.5)]
    nullable = {c.name: c.nullable for c in db.columns("views_5m").values()}
    assert nullable["seconds"] is True


def test_append_and_replace_partition(db: Database) -> None:
    log = TableSink("l", db, "events", "append")
    log.add(rows({"id": 1}, {"id": 1}))
    log.flush()
    assert table(db, "SELECT count(*) FROM events") == [(2,)]
    daily = TableSink("d", db, "daily", "replace_partition", partition_by="day")
    daily.add(rows({"day": "d1", "n": 1}, {"day": "d1", "n": 2}, {"day": "d2", "n": 9}))
    daily.flush()
    daily.add(rows({"day": "d1", "n": 5}))  # d1 arrives again, whole: replaces d1 only
    daily.flush()
    assert table(db, "SELECT day, n FROM daily ORDER BY day, n") == [("d1", 5), ("d2", 9)]


def test_incompatible_changes_are_refused_naming_table_and_column(db: Database) -> None:
    sink = TableSink("w", db, "orders", "upsert", ["order_id"])
    sink.add(rows({"order_id": 1, "amount": 10}))
    sink.flush()
    sink.add(rows({"order_id": 2, "amount": "ten"}))
    with pytest.raises(SinkSchemaError, match=r"table orders: column 'amount' is int .* text"):
        sink.flush()
    sink.add(rows({"amount": 3}))  # the key is missing: the row is rejected, not written
    (rejected,) = sink.flush()
    assert rejected.reason == "sink_error" and "'order_id' is missing" in rejected.message
    assert table(db, "SELECT order_id, amount FROM orders") == [(1, 10)]


def customer(
    cid: int, segment: str, at: dt.datetime, city: str = "Oslo", name: str = "Ann"
) -> dict[str, object]:
    return {
        "customer_id": cid,
        "segment": segment,
        "city": city,
        "name": name,
        "updated_at": at.isoformat(),
    }


def test_scd2_history_row_by_row(db: Database) -> None:
    sink = Scd2Sink(
        "dim", db, "dim_customer", ["customer_id"], ["segment", "city"], effective_from="updated_at"
    )
    sink.add(rows(customer(1, "bronze", day(1)), customer(2, "gold", day(1), city="Rome")))
    sink.flush()
    sink.add(rows(customer(1, "silver", day(10), name="Ann B")))  # tracked change
    sink.flush()
    sink.add(rows(customer(1, "silver", day(12), name="Ann C")))  # only Type 1 changes
    sink.add(rows(customer(1, "gold", day(20), name="Ann C")))  # second segment change
    sink.flush()
    expected = [
        (1, "bronze", "Oslo", "Ann C", day(1), day(10), False),
        (1, "silver", "Oslo", "Ann C", day(10), day(20), False),
        (1, "gold", "Oslo", "Ann C", day(20), END, True),
        (2, "gold", "Rome", "Ann", day(1), END, True),
    ]
    query = (
        "SELECT customer_id, segment, city, name, effective_date, expiration_date, is_current "
        "FROM dim_customer ORDER BY customer_id, effective_date"
    )
    assert table(db, query) == expected
    sks = table(db, "SELECT customer_sk FROM dim_customer ORDER BY customer_sk")
    assert len({s for (s,) in sks}) == 4
    # Redelivery of everything, in another batching: nothing changes.
    sink.add(rows(customer(1, "bronze", day(1)), customer(1, "silver", day(10), name="Ann C")))
    sink.add(
        rows(customer(1, "gold", day(20), name="Ann C"), customer(2, "gold", day(1), city="Rome"))
    )
    sink.flush()
    assert table(db, query) == expected
    assert table(db, "SELECT count(*) FROM dim_customer") == [(4,)]


def test_scd2_late_version_splits_the_version_it_falls_in(db: Database) -> None:
    sink = Scd2Sink(
        "dim", db, "dim_customer", ["customer_id"], ["segment"], effective_from="updated_at"
    )
    sink.add(rows(customer(1, "a", day(1)), customer(1, "c", day(20))))
    sink.flush()
    sink.add(rows(customer(1, "b", day(10))))  # arrives late
    sink.flush()
    got = table(
        db,
        "SELECT segment, effective_date, expiration_date, is_current FROM dim_customer "
        "ORDER BY effective_date",
    )
    assert got == [
        ("a", day(1), day(10), False),
        ("b", day(10), day(20), False),
        ("c", day(20), END, True),
    ]


def test_fact_resolves_surrogate_keys_at_event_time(db: Database) -> None:
    dim = Scd2Sink(
        "dim", db, "dim_customer", ["customer_id"], ["segment"], effective_from="updated_at"
    )
    dim.add(
        rows(
            customer(1, "bronze", day(1)), customer(1, "gold", day(10)), customer(2, "new", day(5))
        )
    )
    dim.flush()
    sk = dict(
        ((cid, seg), s)
        for s, cid, seg in db.fetch("SELECT customer_sk, customer_id, segment FROM dim_customer")
    )
    fact = FactSink(
        TableSink("f", db, "sales_fact", "upsert", ["order_id"]),
        [DimensionRef("customer_sk", "dim_customer", "customer_id", "customer_id")],
        date_keys={"date_key": "ordered_at"},
        event_time="ordered_at",
    )

    def order(oid: int, cid: int, at: dt.datetime) -> dict[str, object]:
        return {"order_id": oid, "customer_id": cid, "amount": 10.0, "ordered_at": at.isoformat()}

    fact.add(
        rows(order(1, 1, day(3)), order(2, 1, day(15)), order(3, 2, day(2)), order(4, 9, day(3)))
    )
    rejected = fact.flush()
    assert [(r.row.values["order_id"], r.reason) for r in rejected] == [(4, "missing_reference")]
    assert "no dim_customer member with customer_id = 9" in rejected[0].message
    got = table(db, "SELECT order_id, customer_sk, date_key FROM sales_fact ORDER BY order_id")
    # order 3 precedes customer 2's first version (a late-arriving dimension): its first version
    assert got == [
        (1, sk[(1, "bronze")], 20240103),
        (2, sk[(1, "gold")], 20240115),
        (3, sk[(2, "new")], 20240102),
    ]
    # Customer 9 arrives; the dead-lettered fact, redriven, now resolves; redelivery is idempotent.
    dim.add(rows(customer(9, "vip", day(3))))
    dim.flush()
    fact.add(rows(order(4, 9, day(3)), order(1, 1, day(3))))
    assert fact.flush() == []
    assert table(db, "SELECT count(*) FROM sales_fact") == [(4,)]


def test_fact_unknown_member_instead_of_dead_letter(db: Database) -> None:
    fact = FactSink(
        TableSink("f", db, "sales_fact", "append"),
        [DimensionRef("customer_sk", "dim_customer", "customer_id", "customer_id")],
        missing="unknown",
    )
    fact.add(rows({"order_id": 1, "customer_id": 5}, ts=1_700_000_000_000))
    assert fact.flush() == []
    assert table(db, "SELECT order_id, customer_sk FROM sales_fact") == [(1, -1)]
