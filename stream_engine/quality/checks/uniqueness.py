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


def hashable_keys(keys: pd.DataFrame) -> pd.DataFrame:
    """Lists and maps in a key are compared by their text, since they cannot be hashed."""
    out = {}
    for c in keys.columns:
        series = keys[c]
        if series.dtype == object:
            kinds = series.map(type)
            if kinds.isin((list, dict)).any():
                series = series.where(~kinds.isin((list, dict)), series.astype(str))
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
