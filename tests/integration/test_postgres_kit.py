"""The PostgreSQL test server is real and can be stopped and started mid-test."""

from __future__ import annotations

import psycopg
import pytest
from postgres_kit import LocalPostgres


def test_fresh_database_round_trip(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE t (id int primary key, name text)")
        conn.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
        rows = conn.execute("SELECT id, name FROM t ORDER BY id").fetchall()
    assert rows == [(1, "a"), (2, "b")]


def test_outage_and_recovery(postgres_server: LocalPostgres, postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int)")
    postgres_server.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres_dsn, connect_timeout=2)
    postgres_server.start()
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
