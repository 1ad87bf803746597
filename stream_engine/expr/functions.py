"""The six functions an expression may call, vectorized like the operators.

The list is closed on purpose: a pipeline file names functions, it never imports them.
"""

from __future__ import annotations

import numpy as np

from stream_engine.expr import scalar
from stream_engine.expr.ops import per_row
from stream_engine.expr.vector import (
    INT64_MIN,
    NUMERIC,
    Kind,
    Vec,
    from_objects,
    make,
    merge_errors,
    nulls,
    row_errors,
    to_objects,
)

# name -> (fewest, most) arguments; None means any number
ARITY: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "coalesce": (1, None),
    "len": (1, 1),
    "lower": (1, 1),
    "round": (1, 2),
    "upper": (1, 1),
}


def _wrong_type(name: str, arg: Vec, expected: str, where: str) -> Vec:
    own = row_errors(~arg.null, f"{name} expects {expected}, got {arg.kind.value} in {where}")
    return nulls(len(arg), merge_errors(arg.errors, own))


def string_function(name: str, arg: Vec, where: str) -> Vec:
    """lower, upper, len over a string vector."""
    if arg.kind is Kind.STR:
        if name == "len":
            lengths = np.fromiter(map(len, arg.data), dtype=np.int64, count=len(arg))
            return Vec(Kind.INT, lengths, arg.null, arg.errors)
        method = str.lower if name == "lower" else str.upper
        data = np.empty(len(arg), dtype=object)
        data[:] = [method(s) for s in arg.data]
        return Vec(Kind.STR, data, arg.null, arg.errors)
    if arg.kind is Kind.NULL:
        return arg
    if arg.kind is Kind.OBJ:
        return per_row(lambda a: scalar.string_function(name, a), (arg,), where)
    return _wrong_type(name, arg, "a string", where)


def number_function(name: str, arg: Vec, ndigits: int, where: str) -> Vec:
    """abs and round over a number vector; round keeps the type and rounds half to even."""
    if arg.kind is Kind.FLOAT and (name == "abs" or ndigits == 0):
        data = np.abs(arg.data) if name == "abs" else np.round(arg.data)
        return make(Kind.FLOAT, data, arg.null, arg.errors)
    if arg.kind is Kind.INT and name == "abs" and not (arg.data == INT64_MIN).any():
        return Vec(Kind.INT, np.abs(arg.data), arg.null, arg.errors)
    if arg.kind is Kind.INT and name == "round" and ndigits >= 0:
        return arg
    if arg.kind in NUMERIC or arg.kind is Kind.OBJ:
        # numpy's round(x, n) multiplies by 10**n and can differ from Python's correctly
        # rounded result in the last digit, so n != 0 takes Python's round per row.
        return per_row(lambda a: scalar.number_function(name, a, ndigits), (arg,), where)
    if arg.kind is Kind.NULL:
        return arg
    return _wrong_type(name, arg, "a number", where)


def coalesce(args: list[Vec]) -> Vec:
    """The first non-null argument per row; later arguments' errors count only where used."""
    result = args[0]
    for arg in args[1:]:
        todo = result.null
        needed = {i: m for i, m in arg.errors.items() if todo[i]}
        errors = merge_errors(result.errors, needed)
        if not todo.any() or arg.kind is Kind.NULL:
            result = Vec(result.kind, result.data, result.null, errors)
        elif result.kind is Kind.NULL:
            result = Vec(arg.kind, arg.data, arg.null, errors)
        elif result.kind is arg.kind and arg.kind is not Kind.OBJ:
            data = np.where(todo, arg.data, result.data)
            result = Vec(result.kind, data, todo & arg.null, errors)
        else:  # different types per row: keep each value's own type
            values = np.where(todo, to_objects(arg), to_objects(result))
            result = from_objects(values, errors)
    return result


def call(name: str, args: list[Vec], ndigits: int, where: str) -> Vec:
    """Dispatch a call the parser has already checked for name and arity."""
    if name == "coalesce":
        return coalesce(args)
    if name in ("abs", "round"):
        return number_function(name, args[0], ndigits, where)
    return string_function(name, args[0], where)
