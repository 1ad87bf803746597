"""Schema fixtures for the serde tests, written to tmp_path as real .avsc files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

PAGE_VIEW_V1: dict[str, Any] = {
    "type": "record",
    "name": "PageView",
    "namespace": "clickstream",
    "fields": [
        {"name": "user_id", "type": "string"},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "url", "type": "string"},
        {"name": "duration_ms", "type": "int"},
        {"name": "referrer", "type": ["null", "string"], "default": None},
    ],
}

PAGE_VIEW_V2: dict[str, Any] = {
    **PAGE_VIEW_V1,
    "fields": [
        *PAGE_VIEW_V1["fields"],
        {"name": "country", "type": "string", "default": "unknown"},
    ],
}

# Every kind of Avro type, to give garbage bytes many ways to go wrong.
EVERYTHING: dict[str, Any] = {
    "type": "record",
    "name": "Everything",
    "fields": [
        {"name": "s", "type": "string"},
        {"name": "l", "type": "long"},
        {"name": "i", "type": "int"},
        {"name": "d", "type": "double"},
        {"name": "f", "type": "float"},
        {"name": "b", "type": "boolean"},
        {"name": "raw", "type": "bytes"},
        {"name": "opt", "type": ["null", "string", "long"]},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
        },
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {
            "name": "inner",
            "type": {
                "type": "record",
                "name": "Inner",
                "fields": [
                    {"name": "n", "type": "long"},
                    {"name": "next", "type": ["null", "Inner"]},
                ],
            },
        },
    ],
}

EVERYTHING_VALUE: dict[str, Any] = {
    "s": "héllo",
    "l": -(2**40),
    "i": 7,
    "d": 2.5,
    "f": 0.5,
    "b": True,
    "raw": "\x00\xff a",
    "opt": 12,
    "tags": ["x", "y"],
    "attrs": {"k": 1},
    "color": "GREEN",
    "hash": "abcd",
    "amount": 12.34,
    "day": 19000,
    "id": "12345678-1234-5678-1234-567812345678",
    "inner": {"n": 1, "next": {"n": 2, "next": None}},
}

# The same without recursion: fastavro's compiled reader instead of its Python one.
EVERYTHING_FLAT: dict[str, Any] = copy.deepcopy(EVERYTHING)
EVERYTHING_FLAT["fields"][-1]["type"]["fields"][1]["type"] = [
    "null",
    {
        "type": "record",
        "name": "Leaf",
        "fields": [{"name": "n", "type": "long"}, {"name": "next", "type": "null"}],
    },
]

WriteSchema = Callable[..., Path]


@pytest.fixture
def write_schema(tmp_path: Path) -> WriteSchema:
    """Write a schema (dict, or raw text) to tmp_path/<name> and return its path."""

    def write(schema: dict[str, Any] | str, name: str = "schema.avsc") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = schema if isinstance(schema, str) else orjson.dumps(schema).decode()
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def schema_dir(tmp_path: Path, write_schema: WriteSchema) -> Path:
    """A schema directory with page_view v1 as id 1 and v2 as id 2."""
    write_schema(PAGE_VIEW_V1, "registry/page_view/v1.avsc")
    write_schema(PAGE_VIEW_V2, "registry/page_view/v2.avsc")
    directory = tmp_path / "registry"
    (directory / "registry.yaml").write_text(
        "1: page_view/v1.avsc\n2: page_view/v2.avsc\n", encoding="utf-8"
    )
    return directory


@pytest.fixture
def page_view_v1(write_schema: WriteSchema) -> Path:
    return write_schema(PAGE_VIEW_V1, "page_view_v1.avsc")


@pytest.fixture
def page_view_v2(write_schema: WriteSchema) -> Path:
    return write_schema(PAGE_VIEW_V2, "page_view_v2.avsc")


@pytest.fixture(params=["recursive", "flat"])
def everything(write_schema: WriteSchema, request: pytest.FixtureRequest) -> Path:
    """A schema with every Avro type, recursive or not; both fit `everything_value`."""
    schema = EVERYTHING if request.param == "recursive" else EVERYTHING_FLAT
    return write_schema(schema, "everything.avsc")


@pytest.fixture
def everything_value() -> dict[str, Any]:
    """A value for EVERYTHING in the JSON forms the decoder produces."""
    return copy.deepcopy(EVERYTHING_VALUE)


@pytest.fixture
def page_view_schema() -> dict[str, Any]:
    """The raw v1 schema, to derive variants from."""
    return copy.deepcopy(PAGE_VIEW_V1)
