"""One small interface over DuckDB and PostgreSQL for the warehouse sinks.

Every write goes through a staging relation: the batch is loaded at once (DuckDB: an Arrow
table registered as a view; PostgreSQL: COPY into a temporary table), then set-based SQL
moves it into the target. No row-by-row round trips, and the same SQL serves both.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv

from connectors.base import SinkError, SinkSchemaError, SinkUnavailableError, mask_dsn
from connectors.sql.types import Column, Dialect, Kind, catalog_kind, ddl_type, to_db

_ARROW: dict[Kind, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.string(),
    "other": pa.string(),
}


def quote(name: str) -> str:
    """A quoted identifier; `schema.table` keeps its dot."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def split_table(table: str) -> tuple[str | None, str]:
    schema, _, name = table.rpartition(".")
    return (schema or None), name


_AS_IS = frozenset({"int", "text", "bool"})


def column_values(rows: list[dict[str, Any]], column: Column) -> list[Any]:
    """One column of the batch, converted for its kind (only where a conversion is needed)."""
    values = [row.get(column.name) for row in rows]
    if column.kind in _AS_IS:
        return values
    return [to_db(v, column.kind) for v in values]


def arrow_batch(columns: list[Column], rows: list[dict[str, Any]]) -> pa.Table:
    """The batch as one Arrow table: DuckDB scans it in place, PostgreSQL gets it as CSV."""
    arrays = [pa.array(column_values(rows, c), type=_ARROW[c.kind]) for c in columns]
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])


class Database(ABC):
    """A connection to the warehouse: catalog look-ups, staging, statements, transactions."""

    dialect: Dialect
    label: str  # for messages: "duckdb warehouse.duckdb", "postgresql://u:***@h/db"

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def stage(self, name: str, columns: list[Column], rows: list[dict[str, Any]]) -> None:
        """Make `name` a relation holding `rows` (only `columns`), replacing an earlier one."""

    @abstractmethod
    def transaction(self) -> Any: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    @abstractmethod
    def param(self) -> str:
        """The placeholder of a query parameter."""

    def columns(self, table: str) -> dict[str, Column]:
        """The table's columns in order; empty when the table does not exist."""
        schema, name = split_table(table)
        p = self.param
        rows = self.fetch(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            f"WHERE table_name = {p} AND table_schema = coalesce({p}, current_schema()) "
            "ORDER BY ordinal_position",
            (name, schema),
        )
        return {r[0]: Column(r[0], catalog_kind(r[1]), r[2] == "YES") for r in rows}

    def type_of(self, kind: Kind) -> str:
        return ddl_type(self.dialect, kind)


class DuckDBDatabase(Database):
    dialect: Dialect = "duckdb"

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.label = f"duckdb {self.path}"
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._con = duckdb.connect(self.path)
        except (duckdb.Error, OSError) as exc:
            raise SinkUnavailableError(f"cannot open {self.label}: {_first_line(exc)}") from None
        self._staged: set[str] = set()

    @property
    def param(self) -> str:
        return "?"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            self._con.execute(sql, list(params))
        except duckdb.Error as exc:
            raise SinkError(f"{self.label}: {_first_line(exc)}") from None

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._con.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise SinkError(f"{self.label}: {_first_line(exc)}") from None

    def stage(self, name: str, columns: list[Column], rows: list[dict[str, Any]]) -> None:
        table = _checked_batch(self.label, columns, rows)
        try:
            if name in self._staged:
                self._con.unregister(name)
            self._con.register(name, table)
        except duckdb.Error as exc:
            raise SinkError(f"{self.label}: {_first_line(exc)}") from None
        self._staged.add(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            self._con.begin()
        except duckdb.Error as exc:
            raise SinkError(f"{self.label}: {_first_line(exc)}") from None
        try:
            yield
        except BaseException:
            self._con.rollback()
            raise
        try:
            self._con.commit()
        except duckdb.Error as exc:
            raise SinkError(f"{self.label}: {_first_line(exc)}") from None

    def close(self) -> None:
        self._con.close()


class PostgresDatabase(Database):
    """psycopg 3; reconnects on the next call after the server went away."""

    dialect: Dialect = "postgres"

    def __init__(self, dsn: str, connect_timeout_s: int = 5) -> None:
        self._dsn = dsn
        self.label = mask_dsn(dsn)
        self._timeout = connect_timeout_s
        self._conn: psycopg.Connection[Any] | None = None

    @property
    def param(self) -> str:
        return "%s"

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(
                    self._dsn, autocommit=True, connect_timeout=self._timeout
                )
            except psycopg.Error as exc:
                raise SinkUnavailableError(
                    f"cannot connect to {self.label}: {_first_line(exc)}"
                ) from None
        return self._conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._errors():
            self._connection().execute(sql, list(params) or None)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._errors():
            return self._connection().execute(sql, list(params) or None).fetchall()

    def stage(self, name: str, columns: list[Column], rows: list[dict[str, Any]]) -> None:
        cols = ", ".join(f"{quote(c.name)} {self.type_of(c.kind)}" for c in columns)
        names = ", ".join(quote(c.name) for c in columns)
        buffer = io.BytesIO()
        table = _checked_batch(self.label, columns, rows)
        # CSV written by Arrow in C: empty unquoted is NULL, "" an empty string
        pa_csv.write_csv(
            table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        )
        with self._errors():
            conn = self._connection()
            conn.execute(f"DROP TABLE IF EXISTS {quote(name)}")
            conn.execute(f"CREATE TEMP TABLE {quote(name)} ({cols})")
            with conn.cursor().copy(
                f"COPY {quote(name)} ({names}) FROM STDIN (FORMAT csv)"
            ) as copy:
                copy.write(buffer.getbuffer())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._errors(), self._connection().transaction():
            yield

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise SinkUnavailableError(f"{self.label}: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            raise SinkError(f"{self.label}: {_first_line(exc)}") from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def open_database(target: str) -> Database:
    """`postgresql://...` (or `postgres://`) is PostgreSQL; anything else a DuckDB file."""
    if target.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(target)
    return DuckDBDatabase(target.removeprefix("duckdb:"))


def _first_line(exc: BaseException) -> str:
    text = mask_dsn(str(exc).strip())
    return text.splitlines()[0] if text else type(exc).__name__


def _checked_batch(label: str, columns: list[Column], rows: list[dict[str, Any]]) -> pa.Table:
    """The rows as one Arrow table; a value that does not fit its column is a schema error."""
    try:
        return arrow_batch(columns, rows)
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
        raise SinkSchemaError(f"{label}: a value does not fit its column: {exc}") from None
