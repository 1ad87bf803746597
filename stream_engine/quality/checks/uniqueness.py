"""Uniqueness over a dataset: rows repeating an earlier row's key (one column or compound)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from stream_engine.quality.checks.values import Mask, column, null_mask


def key_frame(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[pd.DataFrame, Mask]:
    """The key columns, and a mask of rows with a null in the key (never compared)."""
    keys = pd.DataFrame({c: column(frame, c).reset_index(drop=True) for c in columns})
    has_null = np.zeros(len(frame), dtype=bool)
    for c in columns:
        has_null |= null_mask(keys[c])
    return keys, has_null


_NESTED = (list, dict, np.ndarray)


def _plain(value: Any) -> Any:
    """Nested values as plain lists and dicts (Parquet gives numpy arrays inside)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def hashable_keys(keys: pd.DataFrame) -> pd.DataFrame:
    """Lists, arrays and maps in a key are compared by their full text: they cannot be hashed."""
    out = {}
    for c in keys.columns:
        series = keys[c]
        if series.dtype == object:
            nested = series.map(lambda v: isinstance(v, _NESTED)).to_numpy(dtype=bool)
            if nested.any():
                series = series.copy()
                series[nested] = [repr(_plain(v)) for v in series[nested]]
        out[c] = series
    return pd.DataFrame(out)


def duplicate_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> Mask:
    """True for every row whose key appeared in an earlier row (the first one passes)."""
    keys, has_null = key_frame(frame, columns)
    if not len(keys):
        return np.zeros(0, dtype=bool)
    repeated = hashable_keys(keys).duplicated(keep="first").to_numpy(dtype=bool)
    return repeated & ~has_null


def key_of(frame: pd.DataFrame, columns: tuple[str, ...], pos: int) -> Any:
    """The key value of row ``pos``: the value for one column, a mapping for several."""
    values = {c: column(frame, c).iloc[pos] for c in columns}
    if len(columns) == 1:
        return values[columns[0]]
    return values
