"""The row-wise JSON Lines reader, for files Arrow's columnar reader refuses.

A field that is a number on one line and a string on another has no Arrow type, and a line
longer than Arrow's read block cannot be parsed in blocks. Such files are exactly what a
validator must read and point at, so they load here instead (Arrow stays the fast path;
this runs only when it refuses a file). Records for replays always come from here, so
their values are what the JSON decoder of a topic would give.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

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
