"""Pick and configure a codec from the pipeline's source or sink settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from stream_engine.errors import ConfigError
from stream_engine.serde.avro_decode import AvroDecoder, WireDecoder
from stream_engine.serde.avro_encode import AvroEncoder
from stream_engine.serde.avro_schema import load_schema
from stream_engine.serde.base import Decoder, Encoder
from stream_engine.serde.json_codec import JsonDecoder, JsonEncoder
from stream_engine.serde.registry import INDEX_FILE, MAX_SCHEMA_ID, SchemaDirectory

Format = Literal["json", "avro"]


def make_decoder(
    fmt: Format,
    *,
    schema: Path | str | None = None,
    schema_dir: Path | str | None = None,
    wire_format: bool = False,
) -> Decoder:
    """A decoder for a source. Schemas load now, so a bad file fails at start (ConfigError).

    avro + wire_format: writer schemas come from `schema_dir`; `schema`, if given, is the
    reader schema every value is resolved to. avro alone: `schema` is writer and reader.
    """
    if fmt == "json":
        _reject_for_json(schema=schema, schema_dir=schema_dir, wire_format=wire_format)
        return JsonDecoder()
    _check_format(fmt)
    if wire_format:
        if schema_dir is None:
            raise ConfigError(
                f"Avro in the Confluent wire format needs a schema directory (with {INDEX_FILE})"
            )
        reader = None if schema is None else load_schema(schema)
        return WireDecoder(SchemaDirectory.load(schema_dir), reader)
    if schema_dir is not None:
        raise ConfigError("a schema directory is only used with the Confluent wire format")
    if schema is None:
        raise ConfigError("schemaless Avro needs a schema (.avsc file)")
    return AvroDecoder(load_schema(schema))


def make_encoder(
    fmt: Format,
    *,
    schema: Path | str | None = None,
    schema_id: int | None = None,
    schema_dir: Path | str | None = None,
) -> Encoder:
    """An encoder for a sink. Avro is framed in the Confluent wire format when an id is known.

    The id is `schema_id`, or looked up in `schema_dir` by the schema's canonical form;
    with `schema_dir` and `schema_id` alone the schema is the one registered under the id.
    """
    if fmt == "json":
        _reject_for_json(schema=schema, schema_dir=schema_dir, wire_format=schema_id is not None)
        return JsonEncoder()
    _check_format(fmt)
    if schema_id is not None and (
        isinstance(schema_id, bool) or not 0 <= schema_id <= MAX_SCHEMA_ID
    ):
        raise ConfigError(f"schema id {schema_id!r} is not an integer from 0 to {MAX_SCHEMA_ID}")
    directory = None if schema_dir is None else SchemaDirectory.load(schema_dir)
    if schema is not None:
        parsed = load_schema(schema)
    elif directory is not None and schema_id is not None:
        registered = directory.schema_for(schema_id)
        if registered is None:
            raise ConfigError(
                f"schema id {schema_id} is not listed in {directory.path / INDEX_FILE}"
            )
        parsed = registered
    else:
        raise ConfigError("an Avro encoder needs a schema (.avsc file)")
    if directory is not None:
        known = directory.id_for(parsed)
        if schema_id is None:
            if known is None:
                raise ConfigError(
                    f"schema {parsed.path} is not listed in {directory.path / INDEX_FILE}"
                )
            schema_id = known
        elif directory.schema_for(schema_id) is None or (
            directory.schemas[schema_id].canonical != parsed.canonical
        ):
            raise ConfigError(
                f"schema id {schema_id} in {directory.path / INDEX_FILE} is not {parsed.path}"
            )
    return AvroEncoder(parsed, schema_id)


def _check_format(fmt: str) -> None:
    if fmt != "avro":
        raise ConfigError(f"unknown format {fmt!r}: expected 'json' or 'avro'")


def _reject_for_json(
    *, schema: Path | str | None, schema_dir: Path | str | None, wire_format: bool
) -> None:
    if schema is not None or schema_dir is not None or wire_format:
        raise ConfigError("JSON takes no schema, schema directory or wire format; those are Avro's")
