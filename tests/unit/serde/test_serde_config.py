"""Bad schema files, bad registry.yaml and bad codec settings are one-line ConfigErrors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stream_engine.errors import ConfigError
from stream_engine.serde import SchemaDirectory, load_schema, make_decoder, make_encoder


def config_error(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_schemas_are_cached_until_the_file_changes(
    write_schema: Any, page_view_schema: dict[str, Any]
) -> None:
    path = write_schema(page_view_schema)
    first = load_schema(path)
    assert load_schema(path) is first
    page_view_schema["fields"].append({"name": "extra", "type": "int", "default": 0})
    write_schema(page_view_schema)
    assert load_schema(path) is not first


def test_missing_schema_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.avsc"
    assert config_error(load_schema, path) == (
        f"cannot read Avro schema {path}: No such file or directory"
    )


def test_schema_path_is_a_directory(tmp_path: Path) -> None:
    assert "cannot read Avro schema" in config_error(load_schema, tmp_path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON: "),
        ("", "not valid JSON: "),
        ('"string"', "the top level must be a record"),
        ('{"type": "enum", "name": "E", "symbols": ["A"]}', "the top level must be a record"),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "Nope"}]}',
            "unknown type 'Nope'",
        ),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", '
            '"default": "x"}]}',
            "Default value <x> must match schema type: int",
        ),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}, '
            '{"name": "a", "type": "long"}]}',
            "record R has duplicate field names",
        ),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", '
            '"type": {"type": "array", "items": "null"}}]}',
            "array items that encode to zero bytes",
        ),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": {"type": "array", '
            '"items": {"type": "record", "name": "E", "fields": []}}}]}',
            "array items that encode to zero bytes",
        ),
    ],
)
def test_invalid_schema_names_file_and_problem(write_schema: Any, text: str, problem: str) -> None:
    path = write_schema(text, "bad.avsc")
    message = config_error(load_schema, path)
    assert message.startswith(f"invalid Avro schema {path}: ")
    assert problem in message


def write_index(directory: Path, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "registry.yaml").write_text(text, encoding="utf-8")


def test_missing_registry_index(tmp_path: Path) -> None:
    message = config_error(SchemaDirectory.load, tmp_path)
    assert (
        message
        == f"cannot read schema index {tmp_path / 'registry.yaml'}: No such file or directory"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{1: [", "invalid schema index"),
        ("", "expected a mapping of schema ids to .avsc paths"),
        ("- a.avsc", "expected a mapping of schema ids to .avsc paths"),
        ("x: a.avsc", "key 'x' is not a schema id"),
        ("-1: a.avsc", "key -1 is not a schema id"),
        ("true: a.avsc", "key True is not a schema id"),
        ("1: [a.avsc]", "schema id 1 maps to ['a.avsc']"),
        ("1: missing.avsc", "cannot read Avro schema"),
    ],
)
def test_invalid_registry_index(tmp_path: Path, text: str, problem: str) -> None:
    write_index(tmp_path, text)
    assert problem in config_error(SchemaDirectory.load, tmp_path)


def test_bad_schema_listed_in_registry_names_the_schema_file(tmp_path: Path) -> None:
    write_index(tmp_path, "1: broken.avsc\n")
    (tmp_path / "broken.avsc").write_text("{", encoding="utf-8")
    message = config_error(SchemaDirectory.load, tmp_path)
    assert message.startswith(f"invalid Avro schema {tmp_path / 'broken.avsc'}: ")


def test_codec_settings(schema_dir: Path, page_view_v1: Path, page_view_v2: Path) -> None:
    assert "schema directory" in config_error(make_decoder, "avro", wire_format=True)
    assert "needs a schema" in config_error(make_decoder, "avro")
    assert "only used with the Confluent wire format" in config_error(
        make_decoder, "avro", schema=page_view_v1, schema_dir=schema_dir
    )
    assert "JSON takes no schema" in config_error(make_decoder, "json", schema=page_view_v1)
    assert "JSON takes no schema" in config_error(make_encoder, "json", schema_id=1)
    assert "unknown format 'xml'" in config_error(make_decoder, "xml")
    assert "needs a schema" in config_error(make_encoder, "avro")
    assert "not an integer from 0" in config_error(
        make_encoder, "avro", schema=page_view_v1, schema_id=-1
    )
    assert "schema id 1 in" in config_error(
        make_encoder, "avro", schema=page_view_v2, schema_id=1, schema_dir=schema_dir
    )
    assert "schema id 9 is not listed" in config_error(
        make_encoder, "avro", schema_id=9, schema_dir=schema_dir
    )


def test_schema_not_in_directory(
    schema_dir: Path, write_schema: Any, page_view_schema: dict[str, Any]
) -> None:
    other = write_schema({**page_view_schema, "name": "Other"}, "other.avsc")
    assert "is not listed in" in config_error(
        make_encoder, "avro", schema=other, schema_dir=schema_dir
    )


def test_recursive_schemas_are_flagged(write_schema: Any, page_view_v1: Path) -> None:
    linked = write_schema(
        {
            "type": "record",
            "name": "Node",
            "fields": [{"name": "next", "type": ["null", "Node"]}],
        },
        "linked.avsc",
    )
    assert load_schema(linked).recursive
    assert not load_schema(page_view_v1).recursive


def test_everything_fixture_variants(everything: Path) -> None:
    schema = load_schema(everything)
    assert schema.has_binary
    assert schema.recursive == ("Leaf" not in everything.read_text(encoding="utf-8"))
