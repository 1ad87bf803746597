"""Column helpers every check shares: nulls, numbers, timestamps, quoting a failing value.

A frame may come from files (typed columns: int64, float64, string, datetime64) or from
decoded stream records (object columns of Python values); every helper accepts both and
stays vectorized.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Mask = npt.NDArray[np.bool_]

# Epoch values below this are seconds (as in topology/event_time.py).
_SECONDS_LIMIT = 100_000_000_000
_QUOTE_CHARS = 60


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an all-null one when the frame lacks it (a missing field is null)."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def null_mask(series: pd.Series) -> Mask:
    return np.asarray(series.isna(), dtype=bool)


def numbers(series: pd.Series) -> tuple[npt.NDArray[np.float64], Mask]:
    """Values as float64 and a mask of non-null values that are not numbers.

    Booleans are not numbers here (``true`` is no valid amount); nulls come back as NaN.
    """
    if series.dtype.kind in "iuf":
        return series.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(series), bool)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(series), bool)
    objects = series.astype(object)
    null = null_mask(objects)
    if inferred(objects) in ("integer", "floating", "mixed-integer-float", "empty"):
        # numbers and nulls only (decoded JSON): no need to look at each value's type
        values = pd.to_numeric(objects, errors="coerce").to_numpy(dtype=np.float64)
        return values, np.zeros(len(objects), dtype=bool)
    kinds = objects.map(type)
    # Text is never a number here, even "5", and neither is true: the schema's type says
    # what is allowed, a range check only compares numbers.
    keep = ~kinds.isin((bool, np.bool_, str)).to_numpy(dtype=bool)
    converted = pd.to_numeric(objects.where(keep, None), errors="coerce")
    values = np.asarray(converted, dtype=np.float64)
    not_number = ~null & (np.isnan(values) | ~keep)
    return values, not_number


def inferred(series: pd.Series) -> str:
    """pandas' one-pass guess of what a column holds, ignoring nulls ("string", "integer",
    "floating", "boolean", "mixed", ...): lets checks skip per-value type tests."""
    return str(pd.api.types.infer_dtype(series, skipna=True))


def epoch_ms(series: pd.Series) -> tuple[npt.NDArray[np.float64], Mask]:
    """Timestamps as epoch milliseconds (float, NaN for null) and a mask of unparseable ones.

    Numbers are epoch seconds or milliseconds (as event times), text is ISO-8601 (no zone
    means UTC), datetime values and columns are taken as they are (naive means UTC).
    """
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.to_datetime(series, utc=True)
        values = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(np.float64)
        values = values / 1e6
        values[null_mask(series)] = np.nan
        return values, np.zeros(n, dtype=bool)
    objects = series.astype(object)
    null = null_mask(objects)
    kinds = objects.map(type)
    numeric, _ = numbers(objects.where(~kinds.isin((str,)), None))
    numeric = np.where(np.abs(numeric) < _SECONDS_LIMIT, numeric * 1000.0, numeric)
    out = numeric.copy()
    is_text = kinds.isin((str,)).to_numpy(dtype=bool) & ~null
    other = ~null & ~is_text & np.isnan(numeric)
    if is_text.any() or other.any():
        pick = is_text | other
        parsed = pd.to_datetime(objects[pick], utc=True, errors="coerce", format="ISO8601")
        nat = np.asarray(parsed.isna(), dtype=bool)
        ms = parsed.to_numpy(dtype="datetime64[ns]").astype("int64").astype(np.float64) / 1e6
        ms[nat] = np.nan
        out[pick] = ms
    return out, ~null & np.isnan(out)


def quote(value: Any) -> str:
    """A failing value as a dead-letter message shows it: repr, cut to one short line."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    if len(text) > _QUOTE_CHARS:
        text = text[: _QUOTE_CHARS - 3] + "..."
    return " ".join(text.split())


def sample_values(series: pd.Series, mask: Mask, limit: int = 5) -> tuple[Any, ...]:
    """Up to ``limit`` distinct failing values, in row order."""
    picked = series[mask]
    out: list[Any] = []
    seen: set[str] = set()
    for value in picked.iloc[: limit * 20]:  # bounded: samples only, never the whole column
        text = quote(value)
        if text not in seen:
            seen.add(text)
            out.append(value.item() if isinstance(value, np.generic) else value)
        if len(out) == limit:
            break
    return tuple(out)
