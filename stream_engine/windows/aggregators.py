"""Built-in aggregations and the contract custom ones follow.

Every state is plain JSON (numbers, strings, lists, None) because it is written to a
changelog topic and read back after a restart; lists stand in for tuples for that reason.
``add`` and ``merge`` return new states and never change their arguments, so a record
that fails one aggregation leaves every other one untouched.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from stream_engine.windows.errors import WindowValueError


class Aggregator(Protocol):
    """initialize / add / merge / result; states must be JSON-serializable."""

    def initialize(self) -> Any: ...
    def add(self, state: Any, value: Any) -> Any: ...
    def merge(self, a: Any, b: Any) -> Any: ...
    def result(self, state: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class At:
    """A value with the record's event time and offset, for order-aware aggregations."""

    ts: int
    offset: int
    value: Any


def is_null(value: Any) -> bool:
    """Absent, null and NaN all count as null."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def describe(value: Any) -> str:
    text = repr(value)
    text = f"{text[:60]}..." if len(text) > 60 else text
    return f"{text} ({type(value).__name__})"


def number(value: Any, what: str) -> int | float:
    """A numeric value (Decimal becomes float); booleans and text are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise WindowValueError(f"{what} needs numbers, got {describe(value)}")
    return float(value) if isinstance(value, Decimal) else value


class Builtin:
    """Shared shape of the built-ins; ``positional`` ones receive ``At`` values."""

    positional: ClassVar[bool] = False


class Count(Builtin):
    """Records (no field) or non-null values of a field."""

    def __init__(self, counts_values: bool) -> None:
        self.counts_values = counts_values

    def initialize(self) -> int:
        return 0

    def add(self, state: int, value: Any) -> int:
        return state + (0 if self.counts_values and is_null(value) else 1)

    def merge(self, a: int, b: int) -> int:
        return a + b

    def result(self, state: int) -> int:
        return state


class Sum(Builtin):
    """SQL sum: nulls skipped; null when no value was seen."""

    def initialize(self) -> int | float | None:
        return None

    def add(self, state: int | float | None, value: Any) -> int | float | None:
        if is_null(value):
            return state
        n = number(value, "sum")
        return n if state is None else state + n

    def merge(self, a: int | float | None, b: int | float | None) -> int | float | None:
        return b if a is None else a if b is None else a + b

    def result(self, state: int | float | None) -> int | float | None:
        return state


class Extreme(Builtin):
    """min or max over numbers, or over strings (e.g. ISO timestamps); never a mix."""

    def __init__(self, largest: bool) -> None:
        self.largest = largest
        self.label = "max" if largest else "min"

    def _check(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        return number(value, f"{self.label} (numbers or strings)")

    def initialize(self) -> Any:
        return None

    def add(self, state: Any, value: Any) -> Any:
        if is_null(value):
            return state
        return self.merge(state, self._check(value))

    def merge(self, a: Any, b: Any) -> Any:
        if a is None or b is None:
            return b if a is None else a
        if isinstance(a, str) != isinstance(b, str):
            raise WindowValueError(f"{self.label} cannot compare {describe(b)} with {describe(a)}")
        return max(a, b) if self.largest else min(a, b)

    def result(self, state: Any) -> Any:
        return state


class Mean(Builtin):
    """Arithmetic mean of non-null values; state is [sum, count]; null when none."""

    def initialize(self) -> list[int | float]:
        return [0, 0]

    def add(self, state: list[int | float], value: Any) -> list[int | float]:
        if is_null(value):
            return state
        return [state[0] + number(value, "mean"), state[1] + 1]

    def merge(self, a: list[int | float], b: list[int | float]) -> list[int | float]:
        return [a[0] + b[0], a[1] + b[1]]

    def result(self, state: list[int | float]) -> float | None:
        return state[0] / state[1] if state[1] else None


class Edge(Builtin):
    """first or last value by (event time, offset); nulls are values here (SQL FIRST_VALUE)."""

    positional = True

    def __init__(self, last: bool) -> None:
        self.last = last

    def initialize(self) -> list[Any] | None:
        return None

    def add(self, state: list[Any] | None, value: Any) -> list[Any] | None:
        at: At = value
        return self.merge(state, [at.ts, at.offset, at.value])

    def merge(self, a: list[Any] | None, b: list[Any] | None) -> list[Any] | None:
        if a is None or b is None:
            return b if a is None else a
        b_wins = (b[0], b[1]) > (a[0], a[1]) if self.last else (b[0], b[1]) < (a[0], a[1])
        return b if b_wins else a

    def result(self, state: list[Any] | None) -> Any:
        return None if state is None else state[2]


def _distinct_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, int | float):
        return (1, value)
    return (2, value)


class CountDistinct(Builtin):
    """Exact distinct count of non-null scalars; state is their sorted list.

    Booleans, numbers and strings are distinct from each other; 1 and 1.0 are one number.
    """

    def initialize(self) -> list[Any]:
        return []

    def add(self, state: list[Any], value: Any) -> list[Any]:
        if is_null(value):
            return state
        if isinstance(value, Decimal):
            value = float(value)
        if not isinstance(value, str | int | float):
            raise WindowValueError(f"count_distinct needs scalar values, got {describe(value)}")
        key = _distinct_key(value)
        at = bisect.bisect_left(state, key, key=_distinct_key)
        if at < len(state) and _distinct_key(state[at]) == key:
            return state
        return [*state[:at], value, *state[at:]]

    def merge(self, a: list[Any], b: list[Any]) -> list[Any]:
        merged: list[Any] = []
        for value in heapq.merge(a, b, key=_distinct_key):
            if not merged or _distinct_key(merged[-1]) != _distinct_key(value):
                merged.append(value)
        return merged

    def result(self, state: list[Any]) -> int:
        return len(state)


class Collect(Builtin):
    """Values in (event time, offset) order, nulls included; keeps the earliest max_items."""

    positional = True

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items

    def initialize(self) -> list[list[Any]]:
        return []

    def add(self, state: list[list[Any]], value: Any) -> list[list[Any]]:
        at: At = value
        key = (at.ts, at.offset)
        pos = bisect.bisect_right(state, key, key=lambda item: (item[0], item[1]))
        if pos >= self.max_items:
            return state
        return [*state[:pos], [at.ts, at.offset, at.value], *state[pos:]][: self.max_items]

    def merge(self, a: list[list[Any]], b: list[list[Any]]) -> list[list[Any]]:
        merged = heapq.merge(a, b, key=lambda item: (item[0], item[1]))
        return [item for _, item in zip(range(self.max_items), merged, strict=False)]

    def result(self, state: list[list[Any]]) -> list[Any]:
        return [item[2] for item in state]


BuiltinAggregator = Count | Sum | Extreme | Mean | Edge | CountDistinct | Collect
