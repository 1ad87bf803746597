"""Pick the reader for a SOURCE argument: a URI scheme, a `.duckdb` file, or data files."""

from __future__ import annotations

from pathlib import Path

from connectors import files
from stream_engine.errors import ConfigError
from stream_engine.quality.sources.base import Dataset
from stream_engine.quality.sources.uri import parse_uri, scheme_of
from stream_engine.settings import Settings

DUCKDB_SUFFIXES = (".duckdb", ".ddb")
SCHEMES = ("kafka", "postgresql", "postgres", "duckdb", "file")


def open_source(source: str, *, table: str | None, settings: Settings) -> Dataset:
    """Read the whole dataset SOURCE names; `table` names a database table the URI leaves out."""
    scheme = scheme_of(source)
    if scheme == "kafka":
        from stream_engine.quality.sources.kafka_range import read_topic_range

        return read_topic_range(source, settings)
    if scheme in ("postgresql", "postgres"):
        from stream_engine.quality.sources.postgres_table import read_postgres_table

        return read_postgres_table(source, table)
    if scheme == "duckdb":
        uri = parse_uri(source, ("table",))
        path = Path(uri.netloc + uri.path)
        return _duckdb(path, uri.params.get("table") or table)
    if scheme == "file":
        uri = parse_uri(source, ())
        return _path(Path(uri.netloc + uri.path), table)
    if scheme is not None:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise ConfigError(f"{source}: unknown source scheme {scheme!r} (known: {known}, a path)")
    return _path(Path(source), table)


def _path(path: Path, table: str | None) -> Dataset:
    if path.suffix.lower() in DUCKDB_SUFFIXES:
        return _duckdb(path, table)
    frame = files.read_frame(path)
    name = path.stem if path.is_file() else path.name
    return Dataset(frame, name, str(path))


def _duckdb(path: Path, table: str | None) -> Dataset:
    from stream_engine.quality.sources.duckdb_table import read_duckdb_table

    return read_duckdb_table(path, table)
