"""Typed column vectors: how a compiled expression holds one value per row of a batch.

Every node evaluates to a `Vec`, a numpy array plus a null mask and the per-row errors raised
so far. Homogeneous columns get a typed kind (bool, int, float, str) so operators run as
numpy operations over the whole batch; anything else is kept as `OBJ` (Python values) and
handled row by row. Errors are data, never exceptions: `errors` maps a row position to its
message and is authoritative; the value stored at an error row is unspecified.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import infer_dtype

Array = npt.NDArray[Any]
Mask = npt.NDArray[np.bool_]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
FLOAT_EXACT = 2**53  # ints up to this magnitude convert to float64 exactly


class Kind(enum.Enum):
    """The type of a whole vector; the value is the type name used in error messages."""

    NULL = "null"
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    OBJ = "mixed"


NUMERIC = frozenset({Kind.INT, Kind.FLOAT})

# Placeholder stored at null rows of typed vectors, so numpy never sees NaN or None there.
_FILL: dict[Kind, Any] = {Kind.BOOL: False, Kind.INT: 0, Kind.FLOAT: 0.0, Kind.STR: ""}
_DTYPE: dict[Kind, Any] = {Kind.BOOL: np.bool_, Kind.INT: np.int64, Kind.FLOAT: np.float64}


@dataclass(slots=True)
class Vec:
    """One value per row: `data` of the kind's dtype, `null` mask, and row errors."""

    kind: Kind
    data: Array
    null: Mask
    errors: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.null)


def make(kind: Kind, data: Array, null: Mask, errors: dict[int, str] | None = None) -> Vec:
    """Build a typed vector, writing the kind's placeholder into null rows (copying data)."""
    if kind in _FILL and null.any():
        data = np.where(null, _FILL[kind], data)
    if kind is Kind.FLOAT:
        nan = np.isnan(data)  # only reachable from infinite inputs (inf - inf); NaN is null
        if nan.any():
            null = null | nan
            data = np.where(nan, 0.0, data)
    return Vec(kind, data, null, errors if errors is not None else {})


def nulls(n: int, errors: dict[int, str] | None = None) -> Vec:
    """A vector that is null in every row."""
    return Vec(Kind.NULL, np.full(n, None, dtype=object), np.ones(n, dtype=bool), errors or {})


def literal(value: object, n: int) -> Vec:
    """Broadcast one literal to every row, typed directly (no inference needed)."""
    no_nulls = np.zeros(n, dtype=bool)
    if value is None:
        return nulls(n)
    if isinstance(value, bool):
        return Vec(Kind.BOOL, np.full(n, value, dtype=bool), no_nulls)
    if isinstance(value, int) and INT64_MIN <= value <= INT64_MAX:
        return Vec(Kind.INT, np.full(n, value, dtype=np.int64), no_nulls)
    if isinstance(value, float):
        return make(Kind.FLOAT, np.full(n, value, dtype=np.float64), no_nulls)
    data = np.empty(n, dtype=object)
    data.fill(value)
    return Vec(Kind.STR if isinstance(value, str) else Kind.OBJ, data, no_nulls)


def _normalize(value: object) -> object:
    """Turn numpy scalars into Python ones and every missing marker (NaN, NA) into None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _typed(kind: Kind, values: Array, null: Mask) -> Vec | None:
    """Convert an object array known to hold one type; None when it does not fit."""
    try:
        if kind is Kind.STR:
            data = np.where(null, "", values)
        else:
            data = np.where(null, _FILL[kind], values).astype(_DTYPE[kind])
    except (OverflowError, TypeError, ValueError):  # e.g. ints beyond 64 bits
        return None
    return make(kind, data, null)


_INFERRED = {"string": Kind.STR, "integer": Kind.INT, "floating": Kind.FLOAT, "boolean": Kind.BOOL}


def from_objects(values: Array, errors: dict[int, str] | None = None) -> Vec:
    """Classify an object array: a typed vector when homogeneous, otherwise `OBJ`."""
    null = np.asarray(pd.isna(values), dtype=bool)
    inferred = infer_dtype(values, skipna=True)
    if inferred == "empty":
        return nulls(len(values), errors)
    kind = _INFERRED.get(inferred)
    vec = _typed(kind, values, null) if kind is not None else None
    if vec is None:
        data = np.empty(len(values), dtype=object)
        data[:] = [_normalize(v) for v in values]
        vec = Vec(Kind.OBJ, data, np.asarray(pd.isna(data), dtype=bool))
    vec.errors = errors if errors is not None else {}
    return vec


def from_series(series: pd.Series) -> Vec:
    """Convert a frame column, taking the fast route for numpy and nullable dtypes."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "b":
            return Vec(Kind.BOOL, series.to_numpy(), np.zeros(len(series), dtype=bool))
        if dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8):
            data = series.to_numpy().astype(np.int64, copy=False)
            return Vec(Kind.INT, data, np.zeros(len(series), dtype=bool))
        if dtype.kind == "f":
            data = series.to_numpy().astype(np.float64, copy=False)
            return make(Kind.FLOAT, data, np.isnan(data))
        return from_objects(series.to_numpy(dtype=object))
    array = series.array
    null = np.asarray(array.isna(), dtype=bool)
    if isinstance(dtype, pd.StringDtype):
        return Vec(Kind.STR, array.to_numpy(dtype=object, na_value=""), null)
    if pd.api.types.is_bool_dtype(dtype):
        return Vec(Kind.BOOL, series.to_numpy(dtype=bool, na_value=False), null)
    if pd.api.types.is_float_dtype(dtype):
        return make(Kind.FLOAT, series.to_numpy(dtype=np.float64, na_value=0.0), null)
    if pd.api.types.is_signed_integer_dtype(dtype):
        return Vec(Kind.INT, series.to_numpy(dtype=np.int64, na_value=0), null)
    return from_objects(series.to_numpy(dtype=object))


def to_objects(vec: Vec) -> Array:
    """Python values (bool, int, float, str or other) with None for null and error rows."""
    if vec.kind is Kind.NULL:
        return np.full(len(vec), None, dtype=object)
    out = vec.data.astype(object)  # a copy; numpy converts to Python scalars
    out[vec.null] = None
    if vec.errors:
        out[list(vec.errors)] = None
    return out


def magnitude(vec: Vec) -> int:
    """The largest absolute value of an int vector (nulls hold 0), as a Python int."""
    return max(-int(vec.data.min()), int(vec.data.max()))


def exact_as_float(vec: Vec) -> bool:
    """Whether numpy may mix this vector with floats without losing exactness."""
    return vec.kind is not Kind.INT or magnitude(vec) <= FLOAT_EXACT


def merge_errors(*sources: dict[int, str]) -> dict[int, str]:
    """Union of error maps; the first source wins a row (it was evaluated first)."""
    merged: dict[int, str] = {}
    for errors in reversed(sources):
        merged.update(errors)
    return merged


def row_errors(mask: Mask, message: str) -> dict[int, str]:
    """The same message for every row set in `mask`."""
    return dict.fromkeys(np.flatnonzero(mask).tolist(), message)
