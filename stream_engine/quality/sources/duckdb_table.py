"""A DuckDB table as a dataset: `duckdb:///path/file.duckdb?table=name`, or a path and --table.

The file is opened read-only, so validating never changes it and can run beside readers.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from connectors.sql.database import quote
from stream_engine.errors import ConfigError, DataSourceError
from stream_engine.quality.sources.base import Dataset


def read_duckdb_table(path: Path, table: str | None) -> Dataset:
    if not table:
        raise ConfigError(f"{path}: name the table (?table=NAME in the URI, or --table NAME)")
    if not path.is_file():
        raise ConfigError(f"{path}: no such DuckDB file")
    label = f"duckdb {path} table {table}"
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DataSourceError(f"cannot open {path}: {_first_line(exc)}") from None
    try:
        result: pa.Table = con.sql(f"SELECT * FROM {quote(table)}").to_arrow_table()
    except duckdb.CatalogException:
        raise DataSourceError(f"{path}: no table {table!r}") from None
    except duckdb.Error as exc:
        raise DataSourceError(f"cannot read {label}: {_first_line(exc)}") from None
    finally:
        con.close()
    frame: pd.DataFrame = result.to_pandas()
    return Dataset(frame, table.rpartition(".")[2], label)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
