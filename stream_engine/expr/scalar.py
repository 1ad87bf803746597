"""The language's semantics for one row of Python values.

Used where a column holds mixed types (the vectorized operators' fallback) and as the single
written statement of each rule the vectorized paths must match: null in, null out; numbers
mix freely but bools are not numbers; a type mismatch or a zero divisor is a `RowError`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

Value = Any  # None, bool, int, float, str, or an unsupported decoded value (list, dict, ...)


class RowError(Exception):
    """This row cannot be evaluated; the message becomes its `eval_error` dead letter."""


def type_name(value: Value) -> str:
    """The type name used in error messages, shared with the vectorized kinds."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def is_number(value: Value) -> bool:
    """Int or float, but never bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_family(a: Value, b: Value) -> bool:
    """Values of one family (numbers, strings, booleans) can be equal to each other."""
    if is_number(a):
        return is_number(b)
    return isinstance(a, str | bool) and type(a) is type(b)


def _check_supported(*values: Value) -> None:
    for value in values:
        if value is not None and type_name(value) not in ("bool", "int", "float", "str"):
            raise RowError(f"unsupported value of type {type(value).__name__}")


def _number(value: Value) -> Value:
    """NaN (from infinite inputs) is null, like NaN anywhere else."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}


def arith(op: str, a: Value, b: Value) -> Value:
    """`a op b` for + - * / %."""
    if a is None or b is None:
        return None
    if is_number(a) and is_number(b):
        if op in "/%" and b == 0:
            raise RowError("division by zero")
        try:
            return _number(ARITH[op](a, b))
        except OverflowError:
            raise RowError(f'number too large for "{op}"') from None
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    raise RowError(f'cannot apply "{op}" to {type_name(a)} and {type_name(b)}')


def negate(a: Value) -> Value:
    """Unary minus."""
    if a is None:
        return None
    if is_number(a):
        return -a
    raise RowError(f'cannot apply "-" to {type_name(a)}')


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(op: str, a: Value, b: Value) -> Value:
    """`a op b`; equality across families is false, ordering across them an error."""
    if a is None or b is None:
        return None
    _check_supported(a, b)
    if _same_family(a, b) and (op in ("==", "!=") or not isinstance(a, bool)):
        return COMPARE[op](a, b)
    if op == "==":
        return False
    if op == "!=":
        return True
    raise RowError(f'cannot compare {type_name(a)} with {type_name(b)} using "{op}"')


def truth(op: str, a: Value) -> Value:
    """An operand of and / or / not: a bool or null, anything else is an error."""
    if a is None or isinstance(a, bool):
        return a
    raise RowError(f'"{op}" expects booleans, got {type_name(a)}')


def member(a: Value, options: tuple[Value, ...]) -> Value:
    """`a in (options)`: equality with any option of the same family."""
    if a is None:
        return None
    _check_supported(a)
    return any(_same_family(a, o) and a == o for o in options)


def string_function(name: str, a: Value) -> Value:
    """lower, upper and len take one string."""
    if a is None:
        return None
    if not isinstance(a, str):
        raise RowError(f"{name} expects a string, got {type_name(a)}")
    if name == "lower":
        return a.lower()
    if name == "upper":
        return a.upper()
    return len(a)


def number_function(name: str, a: Value, ndigits: int = 0) -> Value:
    """abs and round take one number; round keeps the type and rounds half to even."""
    if a is None:
        return None
    if not is_number(a):
        raise RowError(f"{name} expects a number, got {type_name(a)}")
    if name == "abs":
        return abs(a)
    return round(a, ndigits)
