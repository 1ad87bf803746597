"""Column kinds shared by the DuckDB and PostgreSQL sinks: inference, DDL names, fit.

Records are decoded JSON or Avro, so a column's kind is inferred from its values; a table
that exists already decides the kind of its columns. A batch whose values do not fit an
existing column is a schema change the sink refuses, naming the table and the column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from connectors.base import SinkSchemaError

Kind = Literal["int", "float", "bool", "text", "timestamp", "date", "json", "other"]
Dialect = Literal["duckdb", "postgres"]

_DDL: dict[Dialect, dict[Kind, str]] = {
    "duckdb": {
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "text": "VARCHAR",
        "timestamp": "TIMESTAMPTZ",
        "date": "DATE",
        "json": "JSON",
        "other": "VARCHAR",
    },
    "postgres": {
        "int": "bigint",
        "float": "double precision",
        "bool": "boolean",
        "text": "text",
        "timestamp": "timestamptz",
        "date": "date",
        "json": "jsonb",
        "other": "text",
    },
}

# information_schema data_type (lower case) -> kind, for both databases.
_FROM_CATALOG: dict[str, Kind] = {
    "bigint": "int",
    "integer": "int",
    "smallint": "int",
    "tinyint": "int",
    "hugeint": "int",
    "ubigint": "int",
    "uinteger": "int",
    "double": "float",
    "double precision": "float",
    "real": "float",
    "float": "float",
    "numeric": "float",
    "boolean": "bool",
    "text": "text",
    "varchar": "text",
    "character varying": "text",
    "character": "text",
    "timestamp with time zone": "timestamp",
    "timestamp without time zone": "timestamp",
    "timestamp": "timestamp",
    "date": "date",
    "json": "json",
    "jsonb": "json",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = True


def ddl_type(dialect: Dialect, kind: Kind) -> str:
    return _DDL[dialect][kind]


def catalog_kind(data_type: str) -> Kind:
    base = data_type.lower().split("(")[0].strip()
    if base.startswith("decimal"):
        return "float"
    return _FROM_CATALOG.get(base, "other")


def value_kind(value: Any) -> Kind | None:
    """The kind of one value; None for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dict | list):
        return "json"
    return "other"


_KIND_OF_TYPE: dict[type, Kind] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "text",
    dt.datetime: "timestamp",
    dt.date: "date",
    dict: "json",
    list: "json",
}


def infer_kind(values: Iterable[Any]) -> Kind | None:
    """One kind for a column's values: ints widen to float; None if every value is null."""
    types = set(map(type, values))  # per distinct type, not per value: batches are large
    types.discard(type(None))
    kinds = {_KIND_OF_TYPE.get(t) or value_kind_of_type(t) for t in types}
    if not kinds:
        return None
    if kinds == {"int", "float"}:
        return "float"
    if len(kinds) == 1:
        return next(iter(kinds))
    return "other"  # mixed kinds: the caller reports it


def value_kind_of_type(tp: type) -> Kind:
    """The kind of values of a type that is not one of the plain JSON ones."""
    for base, kind in _KIND_OF_TYPE.items():
        if issubclass(tp, base):
            return kind
    return "other"


def fits(value_kind_: Kind, column_kind: Kind) -> bool:
    """Whether values of one kind can be stored in a column of another without loss of meaning."""
    if value_kind_ == column_kind:
        return True
    return (value_kind_, column_kind) in {
        ("int", "float"),
        ("text", "timestamp"),  # ISO-8601 strings, cast by the database
        ("text", "date"),
        ("text", "json"),
        ("json", "text"),
    }


def to_db(value: Any, kind: Kind) -> Any:
    """A Python value ready for the staging table of a column of `kind`."""
    if value is None:
        return None
    if kind == "json":
        return value if isinstance(value, str) else orjson.dumps(value).decode()
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "text" and isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if kind == "timestamp" and isinstance(value, str):
        return parse_timestamp(value)
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def parse_timestamp(value: Any) -> dt.datetime:
    """An event time as an aware UTC datetime: epoch ms (int), ISO-8601 text or a datetime."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO-8601 time: {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise ValueError(f"not a time: {value!r}")


def plan_columns(
    table: str,
    existing: dict[str, Column],
    rows: list[dict[str, Any]],
    managed: frozenset[str] = frozenset(),
) -> tuple[list[Column], list[Column]]:
    """(every column the batch writes, the new ones to add); refuses incompatible changes.

    `managed` columns are the sink's own (surrogate keys, validity dates): never required.
    """
    shapes = {tuple(row) for row in rows}  # rows of a batch mostly share one shape
    names = list(dict.fromkeys(name for shape in shapes for name in shape))
    written: list[Column] = []
    added: list[Column] = []
    for name in names:
        kind = infer_kind(row.get(name) for row in rows)
        if kind == "other":
            seen = sorted({str(value_kind(r.get(name))) for r in rows if r.get(name) is not None})
            raise SinkSchemaError(
                f"table {table}: column {name!r} gets values of mixed types ({', '.join(seen)})"
            )
        column = existing.get(name)
        if column is None:
            column = Column(name, kind or "text")
            added.append(column)
        elif kind is not None and not fits(kind, column.kind):
            raise SinkSchemaError(
                f"table {table}: column {name!r} is {column.kind} but the records carry "
                f"{kind}; incompatible schema change refused (migrate the table or use a new one)"
            )
        written.append(column)
    for column in existing.values():
        if column.nullable or column.name in names or column.name in managed:
            continue
        raise SinkSchemaError(
            f"table {table}: NOT NULL column {column.name!r} is missing from the records; "
            "incompatible schema change refused"
        )
    for column in written:
        if not column.nullable and any(r.get(column.name) is None for r in rows):
            raise SinkSchemaError(
                f"table {table}: NOT NULL column {column.name!r} gets a null value"
            )
    return written, added
