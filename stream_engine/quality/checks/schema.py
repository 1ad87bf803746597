"""Schema checks of one column: nullable, type, allowed values, regex, length.

``schema_problems`` gives one Problem per part, in that order; a row is reported with
the first part it fails. Each part is one vectorized pass over the column.
"""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd

from stream_engine.quality.checks.problems import Problem, value_problem
from stream_engine.quality.checks.values import Mask, inferred, null_mask, quote
from stream_engine.quality.schema_rules import ColumnSchema, ColumnType

_INTS = (int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
_FLOATS = (float, np.float16, np.float32, np.float64)
_TIMES = (dt.datetime, pd.Timestamp, np.datetime64)
# Python types whose values are of each column type as they are (text is parsed below).
_ACCEPTED: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "int": _INTS,
    "float": (*_INTS, *_FLOATS),
    "bool": (bool, np.bool_),
    "timestamp": (*_TIMES, *_INTS, *_FLOATS),  # numbers are epoch seconds or milliseconds
    "date": (dt.date, dt.datetime, pd.Timestamp),
    "decimal": (decimal.Decimal, *_INTS, *_FLOATS),
    "array": (list, tuple, np.ndarray),
    "map": (dict,),
}
# What pandas' infer_dtype of a whole object column guarantees about every value.
_INFERRED_FITS: dict[str, frozenset[str]] = {
    "empty": frozenset(_ACCEPTED),
    "string": frozenset({"string"}),
    "integer": frozenset({"int", "float", "decimal", "timestamp"}),
    "floating": frozenset({"float", "decimal", "timestamp"}),
    "mixed-integer-float": frozenset({"float", "decimal", "timestamp"}),
    "boolean": frozenset({"bool"}),
}
_DECIMAL_TEXT = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_DATE_TEXT = r"\d{4}-\d{2}-\d{2}"


def _typed_column_ok(series: pd.Series, kind: ColumnType) -> bool | None:
    """For typed (non-object) columns, whether every value fits; None: look at values."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return kind == "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return kind in ("int", "float", "decimal", "timestamp")
    if pd.api.types.is_float_dtype(dtype):
        return None if kind == "int" else kind in ("float", "decimal", "timestamp")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return None if kind == "date" else kind == "timestamp"
    if isinstance(dtype, pd.StringDtype):
        return True if kind == "string" else None
    return None


def type_mismatch(series: pd.Series, kind: ColumnType) -> Mask:
    """True where a non-null value is not of ``kind``."""
    null = null_mask(series)
    whole = _typed_column_ok(series, kind)
    if whole is True:
        return np.zeros(len(series), dtype=bool)
    if whole is False:
        return ~null
    if pd.api.types.is_float_dtype(series.dtype):  # int wanted: integral floats are ints
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        fractional: Mask = ~null & (values != np.floor(values))
        return fractional
    if pd.api.types.is_datetime64_any_dtype(series.dtype):  # date wanted: midnight only
        not_midnight: Mask = ~null & np.asarray(series != series.dt.normalize(), dtype=bool)
        return not_midnight
    objects = series.astype(object)
    fits = _INFERRED_FITS.get(inferred(objects))
    if fits is not None and kind in fits:  # one pass says every value fits
        return np.zeros(len(series), dtype=bool)
    kinds = objects.map(type)
    ok = kinds.isin(_ACCEPTED[kind]).to_numpy(dtype=bool, copy=True)
    text = kinds.isin((str,)).to_numpy(dtype=bool) & ~ok
    if text.any() and kind in ("timestamp", "date", "decimal"):
        strings = objects[text].astype(str)
        if kind == "timestamp":
            parsed = pd.to_datetime(strings, utc=True, errors="coerce", format="ISO8601")
            good = ~np.asarray(parsed.isna(), dtype=bool)
        elif kind == "date":
            shaped = strings.str.fullmatch(_DATE_TEXT).to_numpy(dtype=bool)
            parsed = pd.to_datetime(strings.where(shaped), errors="coerce", format="%Y-%m-%d")
            good = shaped & ~np.asarray(parsed.isna(), dtype=bool)
        else:
            good = strings.str.fullmatch(_DECIMAL_TEXT).to_numpy(dtype=bool)
        ok[np.flatnonzero(text)[good]] = True
    return ~null & ~ok


def allowed_mismatch(series: pd.Series, allowed: list[str | int | float | bool]) -> Mask:
    null = null_mask(series)
    try:
        inside = series.isin(allowed).to_numpy(dtype=bool)
    except TypeError:  # unhashable values (lists, maps) are never allowed scalars
        scalar = series.astype(object).map(lambda v: isinstance(v, str | int | float | bool))
        named = series.astype(str).isin([str(a) for a in allowed])
        inside = scalar.to_numpy(dtype=bool) & named.to_numpy(dtype=bool)
    return ~null & ~inside


def _texts(series: pd.Series) -> tuple[pd.Series, Mask]:
    """The column as strings where it holds strings, and a mask of non-null non-strings."""
    null = null_mask(series)
    if isinstance(series.dtype, pd.StringDtype):
        return series, np.zeros(len(series), dtype=bool)
    objects = series.astype(object)
    if inferred(objects) in ("string", "empty"):
        return objects, np.zeros(len(objects), dtype=bool)
    is_text = objects.map(type).isin((str,)).to_numpy(dtype=bool)
    return objects.where(is_text, None), ~null & ~is_text


def regex_mismatch(series: pd.Series, pattern: str) -> Mask:
    """Text not matching ``pattern`` anywhere (``re.search``; anchor it for a full match)."""
    texts, not_text = _texts(series)
    found = texts.str.contains(pattern, regex=True, na=False, flags=0)
    present = ~null_mask(texts)
    return not_text | (present & ~found.to_numpy(dtype=bool))


def length_mismatch(series: pd.Series, low: int | None, high: int | None) -> Mask:
    """Text or arrays whose length is outside [low, high]; other values fail."""
    null = null_mask(series)
    lengths = series.astype(object).str.len().to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~null & np.isnan(lengths)
    if low is not None:
        bad |= ~null & (lengths < low)
    if high is not None:
        bad |= ~null & (lengths > high)
    return bad


def schema_problems(series: pd.Series, rule: ColumnSchema) -> list[Problem]:
    """Each part of the column's schema as a Problem, in check order (first one reported)."""
    name = rule.column
    problems: list[Problem] = []
    if not rule.nullable:
        nulls = null_mask(series)
        problems.append(Problem(nulls, lambda _pos: f"{name} is null or missing (nullable: false)"))
    if rule.type is not None:
        mask = type_mismatch(series, rule.type)
        problems.append(value_problem(series, mask, name, f"is not of type {rule.type}"))
    if rule.allowed is not None:
        shown = ", ".join(quote(a) for a in rule.allowed[:10])
        more = ", ..." if len(rule.allowed) > 10 else ""
        mask = allowed_mismatch(series, rule.allowed)
        problems.append(value_problem(series, mask, name, f"is not allowed ({shown}{more})"))
    if rule.regex is not None:
        mask = regex_mismatch(series, rule.regex)
        problems.append(value_problem(series, mask, name, f"does not match {rule.regex!r}"))
    if rule.min_length is not None or rule.max_length is not None:
        high = "" if rule.max_length is None else rule.max_length
        mask = length_mismatch(series, rule.min_length, rule.max_length)
        why = f"has a length outside [{rule.min_length or 0}, {high}]"
        problems.append(value_problem(series, mask, name, why))
    return problems
