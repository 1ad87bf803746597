"""A PostgreSQL table as a dataset: `postgresql://user@host:port/db?table=name`.

The table is read in one pass with COPY (CSV) and parsed by Arrow with the column types
taken from the catalog, so there is no per-row Python and no type guessing. Other query
parameters (sslmode, connect_timeout, ...) go to libpq unchanged.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql

from connectors.base import mask_dsn
from connectors.sql.database import quote
from stream_engine.errors import ConfigError, DataSourceError
from stream_engine.quality.sources.base import Dataset

CONNECT_TIMEOUT_S = 5

_INTS = {"int2", "int4", "int8", "oid"}
_FLOATS = {"float4", "float8"}
_COLUMNS = """
SELECT a.attname, t.typname, a.atttypmod
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def split_dsn(uri: str, table: str | None) -> tuple[str, str, str]:
    """(the DSN for libpq without `table`, the table, a label without the password)."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in _pairs(parts.query) if k != "table"]
    named = [v for k, v in _pairs(parts.query) if k == "table"]
    chosen = named[0] if named else table
    if not chosen:
        raise ConfigError(f"{_masked(uri)}: name the table (?table=NAME or --table NAME)")
    if not any(k == "connect_timeout" for k, _ in query):
        query.append(("connect_timeout", str(CONNECT_TIMEOUT_S)))
    dsn = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return dsn, chosen, f"{_masked(uri)} table {chosen}"


def _pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def _masked(uri: str) -> str:
    parts = urlsplit(uri)
    return mask_dsn(urlunsplit(parts._replace(query="", fragment="")))


def read_postgres_table(uri: str, table: str | None) -> Dataset:
    dsn, name, label = split_dsn(uri, table)
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as exc:
        raise DataSourceError(f"cannot connect to {label}: {_first_line(exc)}") from None
    try:
        with conn:
            return Dataset(_read(conn, name, label), name.rpartition(".")[2], label)
    except psycopg.OperationalError as exc:
        raise DataSourceError(f"lost the connection reading {label}: {_first_line(exc)}") from None
    except psycopg.Error as exc:
        raise DataSourceError(f"cannot read {label}: {_first_line(exc)}") from None


def _read(conn: psycopg.Connection[Any], table: str, label: str) -> pd.DataFrame:
    found = conn.execute("SELECT to_regclass(%s)::text", [quote(table)]).fetchone()
    if found is None or found[0] is None:
        raise DataSourceError(f"{label}: no such table")
    columns = conn.execute(_COLUMNS, [found[0]]).fetchall()
    select = sql.SQL(", ").join(_select_item(name, typname) for name, typname, _ in columns)
    query = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv, HEADER)").format(
        select, sql.SQL(found[0])
    )
    buffer = io.BytesIO()
    with conn.cursor() as cur, cur.copy(query) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    types = {name: _arrow_type(typname, typmod) for name, typname, typmod in columns}
    parsed = pa_csv.read_csv(
        buffer,
        convert_options=pa_csv.ConvertOptions(
            column_types={n: t for n, t in types.items() if t is not None},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # COPY quotes empty strings, never NULLs
            true_values=["t"],
            false_values=["f"],
        ),
    )
    utc = [
        i for i, (_, typname, _) in enumerate(columns) if typname == "timestamptz"
    ]  # read as UTC wall time, then marked UTC
    for i in utc:
        parsed = parsed.set_column(
            i, parsed.field(i).name, parsed.column(i).cast(pa.timestamp("us", tz="UTC"))
        )
    frame: pd.DataFrame = parsed.to_pandas()
    return frame


def _select_item(name: str, typname: str) -> sql.Composable:
    column = sql.Identifier(name)
    if typname == "timestamptz":
        return sql.SQL("({} AT TIME ZONE 'UTC') AS {}").format(column, column)
    return column


def _arrow_type(typname: str, typmod: int) -> pa.DataType | None:
    if typname in _INTS:
        return pa.int64()
    if typname in _FLOATS:
        return pa.float64()
    if typname == "bool":
        return pa.bool_()
    if typname in ("timestamp", "timestamptz"):
        return pa.timestamp("us")
    if typname == "date":
        return pa.date32()
    if typname == "numeric":
        if typmod >= 4:  # numeric(p, s): typmod - 4 = (p << 16) | s
            precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
            if precision <= 38:
                return pa.decimal128(precision, scale)
        return pa.float64()
    return pa.string()  # text, varchar, uuid, json, arrays...: their text form


def _first_line(exc: BaseException) -> str:
    return mask_dsn((str(exc).strip().splitlines() or [type(exc).__name__])[0])
