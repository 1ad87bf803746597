"""Fallback readers for text data files that Arrow's columnar readers refuse.

A JSON Lines field that is a number on one line and a string on another has no Arrow type;
a CSV column whose type Arrow inferred from the file's first block may break further down.
Such files are exactly what a validator must read and point at, so they load here instead
(the columnar readers in `connectors.files` stay the fast path; these run only when those
refuse a file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow.csv as pa_csv

from stream_engine.errors import DataSourceError


def jsonl_values(file: Path) -> Iterator[dict[str, Any]]:
    """Each line as a dict; blank lines are skipped, bad ones named by line number."""
    try:
        stream = file.open("rb")
    except OSError as exc:
        raise DataSourceError(f"{file}: cannot read jsonl file: {exc.strerror or exc}") from None
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise DataSourceError(f"{file}: line {number}: invalid JSON: {exc}") from None
            if not isinstance(value, dict):
                raise DataSourceError(f"{file}: line {number}: not a JSON object")
            yield value


def jsonl_frame(file: Path) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(jsonl_values(file)), coerce_float=False)


# The cells Arrow's CSV reader takes for nulls (`""`, `NULL`, `n/a`, `NaN`, ...), so both
# paths agree on which cells are missing.
_NULLS = list(pa_csv.ConvertOptions().null_values)


def csv_frame(file: Path) -> pd.DataFrame:
    """Every cell as text; a column whose non-empty cells are all numbers becomes numbers.

    That is the rule Arrow applies to a small file (and pandas to any file); Arrow infers a
    column's type from the file's first block only, and refuses a later cell that breaks it.
    """
    try:
        text = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=_NULLS)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        message = " ".join(str(exc).split())
        raise DataSourceError(f"{file}: cannot read csv file: {message}") from None
    out = {}
    for name in text.columns:
        column = text[name]
        numbers = pd.to_numeric(column, errors="coerce")
        all_numbers = bool((numbers.notna() == column.notna()).all())
        out[name] = numbers if all_numbers else column
    return pd.DataFrame(out, index=text.index)


def csv_values(file: Path) -> Iterator[dict[str, Any]]:
    frame = csv_frame(file).astype(object)
    frame = frame.where(frame.notna(), None)
    for row in frame.to_dict("records"):
        yield {str(k): v for k, v in row.items()}
