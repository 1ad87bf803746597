"""One definition for both sides: .avsc -> pydantic model (class and source) -> .avsc."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Literal

import orjson
import pytest
from pydantic import BaseModel, Field, ValidationError

from stream_engine.errors import ConfigError
from stream_engine.producer.events import EventEncoder
from stream_engine.producer.schema_model import (
    AvroType,
    avsc_from_model,
    load_model,
    model_from_avsc,
    model_source,
)
from stream_engine.serde import make_decoder

SCHEMAS = Path(__file__).parents[3] / "schemas"
REPO_SCHEMAS = sorted(SCHEMAS.glob("*/v*.avsc"))

EVERYTHING: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "doc": "Every kind of Avro type the generator maps.",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "qty", "type": "int", "doc": "items"},
        {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9,
                                   "scale": 2}},
        {"name": "weight", "type": "float"},
        {"name": "ratio", "type": "double", "default": 0.5},
        {"name": "paid", "type": "boolean", "default": False},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "doc": "lifecycle",
                                    "symbols": ["NEW", "PAID", "SHIPPED"], "default": "NEW"},
         "default": "NEW"},
        {"name": "previous", "type": ["null", "Status"], "default": None},
        {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
            {"name": "street", "type": "string"},
            {"name": "zip", "type": ["null", "string"], "default": None},
        ]}},
        {"name": "billing", "type": ["null", "Address"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "attrs", "type": {"type": "map", "values": ["null", "long", "string"]},
         "default": {}},
        {"name": "digest", "type": {"type": "fixed", "name": "Md5", "size": 16}},
        {"name": "blob", "type": "bytes", "default": "\u00ff\u0000"},
        {"name": "from", "type": "string", "default": "web", "doc": "a Python keyword"},
        {"name": "schema", "type": ["null", "string"], "default": None},
    ],
}  # fmt: skip

ORDER: dict[str, Any] = {
    "id": "6f1c1c56-4c4b-4a8e-9d1c-1a2b3c4d5e6f",
    "qty": 3,
    "total": "12.50",
    "weight": 1.5,
    "at": 1_767_225_600_000,
    "at_us": "2026-01-01T00:00:00.000123Z",  # pydantic reads ints as seconds or millis
    "day": "2026-01-01",
    "address": {"street": "Main St 1"},
    "digest": b"0123456789abcdef",
    "status": "PAID",
}


@pytest.fixture
def everything(tmp_path: Path) -> Path:
    path = tmp_path / "order.avsc"
    path.write_bytes(orjson.dumps(EVERYTHING))
    return path


def _import_source(source: str, tmp_path: Path) -> ModuleType:
    path = tmp_path / "generated_models.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("generated_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _canonical(schema: dict[str, Any]) -> dict[str, Any]:
    """Schemas compared as fastavro parses them (names qualified, types expanded)."""
    import fastavro

    parsed = fastavro.parse_schema(schema)
    return {k: v for k, v in parsed.items() if not k.startswith("__")}


@pytest.mark.parametrize("path", REPO_SCHEMAS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_repo_schemas_round_trip_exactly(path: Path) -> None:
    original = orjson.loads(path.read_bytes())
    assert avsc_from_model(model_from_avsc(path)) == original


def test_every_type_round_trips(everything: Path) -> None:
    back = avsc_from_model(model_from_avsc(everything))
    assert _canonical(back) == _canonical(EVERYTHING)


@pytest.mark.filterwarnings("ignore:Default value b")  # bytes defaults have no JSON Schema
def test_printed_source_is_the_same_model(everything: Path, tmp_path: Path) -> None:
    module = _import_source(model_source(everything), tmp_path)
    printed, built = module.Order, model_from_avsc(everything)
    assert _canonical(avsc_from_model(printed)) == _canonical(EVERYTHING)
    assert printed.model_json_schema() == built.model_json_schema()
    assert printed.model_validate(ORDER) == printed.model_validate(
        built.model_validate(ORDER).model_dump(by_alias=True)
    )


def test_printed_source_has_no_stream_engine_import_for_plain_schemas() -> None:
    source = model_source(SCHEMAS / "page_view/v2.avsc")
    assert "stream_engine" not in source.split('"""', 2)[2]
    compile(source, "page_view.py", "exec")


def test_generated_model_validates_like_the_schema(everything: Path) -> None:
    order = model_from_avsc(everything)
    value = order.model_validate(ORDER)
    assert value.qty == 3  # type: ignore[attr-defined]
    assert value.from_ == "web"  # type: ignore[attr-defined]  # keyword: alias "from"
    assert value.status == "PAID"  # type: ignore[attr-defined]
    assert value.blob == b"\xff\x00"  # type: ignore[attr-defined]  # Avro's Latin-1 default
    for bad in ({"qty": 2**31}, {"digest": b"short"}, {"status": "LOST"}, {"colour": "red"}):
        with pytest.raises(ValidationError):
            order.model_validate({**ORDER, **bad})


def test_the_sdk_sends_a_generated_model_with_its_schema(everything: Path) -> None:
    order = model_from_avsc(everything)
    encoder = EventEncoder("orders", "avro", schema=everything, schema_id=1, model=order)
    _, value = encoder.encode(ORDER)
    decoded = make_decoder("avro", schema=everything).decode(value[5:])
    assert decoded["total"] == 12.5 and decoded["from"] == "web" and decoded["qty"] == 3
    assert decoded["status"] == "PAID" and decoded["blob"] == "\u00ff\u0000"
    assert decoded["at"] == ORDER["at"] and decoded["day"] == 20454


class Address(BaseModel):
    street: str
    zip: str | None = None


class Checkout(BaseModel):
    """A checkout started in the app."""

    __avro_namespace__ = "shop"

    id: uuid.UUID
    user: str = Field(description="who")
    amount: Annotated[Decimal, Field(max_digits=10, decimal_places=2)]
    small: Annotated[int, Field(ge=0, le=100)]
    big: int
    score: Annotated[float, AvroType("float")] = 0.0
    at: dt.datetime
    channel: Literal["web", "ios"] = "web"
    home: Address
    work: Address | None = None
    items: list[str] = Field(default_factory=list)
    counts: dict[str, int] = {}


def test_avsc_from_a_hand_written_model() -> None:
    assert avsc_from_model(Checkout) == {
        "type": "record",
        "name": "Checkout",
        "namespace": "shop",
        "doc": "A checkout started in the app.",
        "fields": [
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "user", "type": "string", "doc": "who"},
            {
                "name": "amount",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            },
            {"name": "small", "type": "int"},
            {"name": "big", "type": "long"},
            {"name": "score", "type": "float", "default": 0.0},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {
                "name": "channel",
                "type": {"type": "enum", "name": "Channel", "symbols": ["web", "ios"]},
                "default": "web",
            },
            {
                "name": "home",
                "type": {
                    "type": "record",
                    "name": "Address",
                    "fields": [
                        {"name": "street", "type": "string"},
                        {"name": "zip", "type": ["null", "string"], "default": None},
                    ],
                },
            },
            {"name": "work", "type": ["null", "shop.Address"], "default": None},
            {"name": "items", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "counts", "type": {"type": "map", "values": "long"}, "default": {}},
        ],
    }


def test_a_default_that_is_not_null_comes_first_in_its_union() -> None:
    class Flag(BaseModel):
        state: str | None = "on"

    assert avsc_from_model(Flag)["fields"][0] == {
        "name": "state",
        "type": ["string", "null"],
        "default": "on",
    }


def test_types_avro_cannot_express_are_named() -> None:
    class Loose(BaseModel):
        anything: Any

    class Money(BaseModel):
        amount: Decimal

    class IntKeys(BaseModel):
        counts: dict[int, int]

    with pytest.raises(ConfigError, match=r"Loose.anything: .*Any has no Avro type"):
        avsc_from_model(Loose)
    with pytest.raises(ConfigError, match=r"Money.amount: a Decimal needs max_digits"):
        avsc_from_model(Money)
    with pytest.raises(ConfigError, match=r"IntKeys.counts: Avro maps need str keys"):
        avsc_from_model(IntKeys)


def test_recursive_records_are_refused_with_a_reason(tmp_path: Path) -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"], "default": None}],
    }
    path = tmp_path / "node.avsc"
    path.write_bytes(orjson.dumps(node))
    with pytest.raises(ConfigError, match="record Node contains itself"):
        model_from_avsc(path)


def test_load_model_reports_bad_references() -> None:
    assert load_model(f"{__name__}:Checkout") is Checkout
    with pytest.raises(ConfigError, match=r"must be written as package\.module:Model"):
        load_model("no_colon")
    with pytest.raises(ConfigError, match="cannot import no_such_module_x: ModuleNotFoundError"):
        load_model("no_such_module_x:Model")
    with pytest.raises(ConfigError, match="has no 'Nope'"):
        load_model(f"{__name__}:Nope")
    with pytest.raises(ConfigError, match="is not a pydantic model class"):
        load_model(f"{__name__}:ORDER")
