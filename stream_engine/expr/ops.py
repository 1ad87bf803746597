"""Null-aware operators over whole vectors.

Each operator handles the homogeneous kinds with numpy and sends mixed (`OBJ`) input to the
per-row rules in `scalar`, so both paths share one definition of the semantics. Operand
errors are kept (the left operand's first) and an operator adds its own only on rows where
no operand is null. `where` is the quoted node text that every message ends with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from stream_engine.expr import scalar
from stream_engine.expr.vector import (
    FLOAT_EXACT,
    INT64_MAX,
    INT64_MIN,
    NUMERIC,
    Kind,
    Mask,
    Vec,
    exact_as_float,
    from_objects,
    magnitude,
    make,
    merge_errors,
    nulls,
    row_errors,
    to_objects,
)


def per_row(fn: Callable[..., Any], args: Sequence[Vec], where: str) -> Vec:
    """Apply a scalar rule row by row: the fallback for mixed-type input."""
    columns = [to_objects(arg) for arg in args]
    out = np.empty(len(args[0]), dtype=object)
    own: dict[int, str] = {}
    for i, row in enumerate(zip(*columns, strict=True)):
        try:
            out[i] = fn(*row)
        except scalar.RowError as error:
            own[i] = f"{error} in {where}"
    return from_objects(out, merge_errors(*(arg.errors for arg in args), own))


def _type_error(left: Vec, right: Vec, message: str) -> Vec:
    """Every row where both operands have a value fails with the same type error."""
    own = row_errors(~(left.null | right.null), message)
    return nulls(len(left), merge_errors(left.errors, right.errors, own))


def _numpy_exact(op: str, left: Vec, right: Vec) -> bool:
    """Whether numpy gives Python's exact result: no int64 overflow in + - *, and no
    rounding of ints beyond 2**53 when they meet floats (or are divided)."""
    if left.kind is Kind.INT and right.kind is Kind.INT:
        a, b = magnitude(left), magnitude(right)
        if op == "/":
            return a <= FLOAT_EXACT and b <= FLOAT_EXACT
        if op in "+-*":
            return (a * b if op == "*" else a + b) <= INT64_MAX
        return True
    return exact_as_float(left) and exact_as_float(right)


_NUMPY_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}


def arith(op: str, left: Vec, right: Vec, where: str) -> Vec:
    """`left op right` for + - * / %: numbers, or + on two strings."""
    if Kind.NULL in (left.kind, right.kind):
        return nulls(len(left), merge_errors(left.errors, right.errors))
    if left.kind in NUMERIC and right.kind in NUMERIC:
        both_int = left.kind is Kind.INT and right.kind is Kind.INT
        if not _numpy_exact(op, left, right):
            return per_row(lambda a, b: scalar.arith(op, a, b), (left, right), where)
        null = left.null | right.null
        own: dict[int, str] = {}
        divisor = right.data
        if op in "/%":
            zero = (divisor == 0) & ~null
            if zero.any():
                own = row_errors(zero, f"division by zero in {where}")
                divisor = np.where(zero, 1, divisor)
                null = null | zero
        fn = np.remainder if op == "%" else _NUMPY_ARITH[op]
        data = fn(left.data, divisor)
        kind = Kind.INT if both_int and op != "/" else Kind.FLOAT
        return make(kind, data, null, merge_errors(left.errors, right.errors, own))
    if op == "+" and left.kind is Kind.STR and right.kind is Kind.STR:
        return make(
            Kind.STR,
            left.data + right.data,
            left.null | right.null,
            merge_errors(left.errors, right.errors),
        )
    if Kind.OBJ in (left.kind, right.kind):
        return per_row(lambda a, b: scalar.arith(op, a, b), (left, right), where)
    message = f'cannot apply "{op}" to {left.kind.value} and {right.kind.value} in {where}'
    return _type_error(left, right, message)


def negate(operand: Vec, where: str) -> Vec:
    """Unary minus on numbers."""
    if operand.kind is Kind.FLOAT or (
        operand.kind is Kind.INT and not (operand.data == INT64_MIN).any()
    ):
        return make(operand.kind, -operand.data, operand.null, operand.errors)
    if operand.kind is Kind.NULL:
        return operand
    if operand.kind in (Kind.OBJ, Kind.INT):
        return per_row(scalar.negate, (operand,), where)
    own = row_errors(~operand.null, f'cannot apply "-" to {operand.kind.value} in {where}')
    return nulls(len(operand), merge_errors(operand.errors, own))


_NUMPY_COMPARE = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def compare(op: str, left: Vec, right: Vec, where: str) -> Vec:
    """`left op right`; different types are unequal and cannot be ordered."""
    null = left.null | right.null
    errors = merge_errors(left.errors, right.errors)
    if Kind.NULL in (left.kind, right.kind):
        return make(Kind.BOOL, np.zeros(len(left), dtype=bool), null, errors)
    if Kind.OBJ in (left.kind, right.kind) or not _numpy_exact(op, left, right):
        return per_row(lambda a, b: scalar.compare(op, a, b), (left, right), where)
    same = left.kind is right.kind or {left.kind, right.kind} <= NUMERIC
    if same and (op in ("==", "!=") or left.kind is not Kind.BOOL):
        data = _NUMPY_COMPARE[op](left.data, right.data)
        return make(Kind.BOOL, np.asarray(data, dtype=bool), null, errors)
    if op in ("==", "!="):
        return make(Kind.BOOL, np.full(len(left), op == "!="), null, errors)
    message = f'cannot compare {left.kind.value} with {right.kind.value} using "{op}" in {where}'
    return _type_error(left, right, message)


def as_bool(operand: Vec, op: str, where: str) -> Vec:
    """An operand of and / or / not, as a bool vector; other values are row errors."""
    if operand.kind is Kind.BOOL:
        return operand
    if operand.kind is Kind.NULL:
        return _bools(operand)
    if operand.kind is Kind.OBJ:
        checked = per_row(lambda a: scalar.truth(op, a), (operand,), where)
        return as_bool(checked, op, where) if checked.kind is not Kind.OBJ else checked
    message = f'"{op}" expects booleans, got {operand.kind.value} in {where}'
    own = row_errors(~operand.null, message)
    n = len(operand)
    return Vec(
        Kind.BOOL,
        np.zeros(n, dtype=bool),
        np.ones(n, dtype=bool),
        merge_errors(operand.errors, own),
    )


def _bools(vec: Vec) -> Vec:
    """A comparison or membership result as a bool vector (an all-null one may be NULL)."""
    if vec.kind is Kind.NULL:
        return Vec(Kind.BOOL, np.zeros(len(vec), dtype=bool), vec.null, vec.errors)
    return vec


def _is(vec: Vec, value: bool) -> Mask:
    """Rows where a bool vector is exactly `value`."""
    return ~vec.null & (vec.data if value else ~vec.data)


def logical(op: str, left: Vec, right: Vec) -> Vec:
    """Three-valued and / or; the right operand's errors only count where it is needed."""
    decisive = op == "or"  # the value that settles the result on its own
    left, right = _bools(left), _bools(right)
    left_decides = _is(left, decisive)
    settled = left_decides | _is(right, decisive)
    null = ~settled & (left.null | right.null)
    data = settled if decisive else ~settled & ~null
    needed = {i: m for i, m in right.errors.items() if not left_decides[i]}
    return Vec(Kind.BOOL, data, null, merge_errors(left.errors, needed))


def logical_not(operand: Vec) -> Vec:
    """`not` keeps null as null."""
    operand = _bools(operand)
    return make(Kind.BOOL, ~operand.data, operand.null, operand.errors)


def is_null(operand: Vec, negated: bool) -> Vec:
    """`is null` / `is not null`: never null itself."""
    data = ~operand.null if negated else operand.null.copy()
    return Vec(Kind.BOOL, data, np.zeros(len(operand), dtype=bool), operand.errors)


def member(operand: Vec, options: tuple[Any, ...], negated: bool, where: str) -> Vec:
    """`in` / `not in` a literal list: equality with any option of the same family."""
    if operand.kind is Kind.NULL:
        return make(Kind.BOOL, np.zeros(len(operand), dtype=bool), operand.null, operand.errors)
    floats = any(isinstance(o, float) for o in options)
    big_ints = any(scalar.is_number(o) and abs(o) > FLOAT_EXACT for o in options)
    inexact = (floats and not exact_as_float(operand)) or (operand.kind is Kind.FLOAT and big_ints)
    if operand.kind is Kind.OBJ or inexact:
        found = per_row(lambda a: scalar.member(a, options), (operand,), where)
        return logical_not(found) if negated and found.kind is Kind.BOOL else found
    if operand.kind in NUMERIC:
        wanted = [o for o in options if scalar.is_number(o)]
        if operand.kind is Kind.INT:  # an int beyond int64 cannot equal an int64 value
            wanted = [o for o in wanted if isinstance(o, float) or INT64_MIN <= o <= INT64_MAX]
    else:
        family = str if operand.kind is Kind.STR else bool
        wanted = [o for o in options if type(o) is family]
    data = np.isin(operand.data, wanted) if wanted else np.zeros(len(operand), dtype=bool)
    if negated:
        data = ~data
    return make(Kind.BOOL, data, operand.null, operand.errors)
