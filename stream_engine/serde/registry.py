"""A local stand-in for a schema registry: `registry.yaml` maps schema ids to `.avsc` files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from stream_engine.errors import ConfigError
from stream_engine.serde.avro_schema import AvroSchema, load_schema
from stream_engine.serde.errors import one_line

INDEX_FILE = "registry.yaml"
MAX_SCHEMA_ID = 2**31 - 1  # Confluent ids are signed 32-bit integers


@dataclass(frozen=True)
class SchemaDirectory:
    """Every schema of a directory, parsed at load so a bad file fails at start, not mid-stream."""

    path: Path
    schemas: dict[int, AvroSchema]

    @classmethod
    def load(cls, directory: Path | str) -> SchemaDirectory:
        """Read `<dir>/registry.yaml` and every schema it lists; ConfigError on any problem."""
        directory = Path(directory)
        index = directory / INDEX_FILE
        try:
            text = index.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ConfigError(f"cannot read schema index {index}: {one_line(problem)}") from None
        try:
            entries = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"invalid schema index {index}: {one_line(exc)}") from None
        if not isinstance(entries, dict) or not entries:
            raise ConfigError(
                f"invalid schema index {index}: expected a mapping of schema ids to .avsc paths, "
                "e.g. {1: page_view/v1.avsc}"
            )
        schemas: dict[int, AvroSchema] = {}
        for key, value in entries.items():
            if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= MAX_SCHEMA_ID:
                raise ConfigError(
                    f"invalid schema index {index}: key {key!r} is not a schema id "
                    f"(an integer from 0 to {MAX_SCHEMA_ID})"
                )
            if not isinstance(value, str) or not value:
                raise ConfigError(
                    f"invalid schema index {index}: schema id {key} maps to {value!r}, "
                    "expected a .avsc path relative to the directory"
                )
            schemas[key] = load_schema(directory / value)
        return cls(path=directory, schemas=schemas)

    def schema_for(self, schema_id: int) -> AvroSchema | None:
        """The writer schema registered under an id, or None when the id is unknown."""
        return self.schemas.get(schema_id)

    def id_for(self, schema: AvroSchema) -> int | None:
        """The lowest id whose schema has the same canonical form, or None."""
        matches = [
            key for key, known in self.schemas.items() if known.canonical == schema.canonical
        ]
        return min(matches) if matches else None
