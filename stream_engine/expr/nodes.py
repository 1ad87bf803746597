"""The compiled form: a small tree of nodes, each evaluating to a vector for a whole batch.

Nodes are built once by the parser and are immutable afterwards except for `where`, the
quoted location the parser fills in for error messages.
"""

from __future__ import annotations

import keyword
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import pandas as pd

from stream_engine.expr import functions, ops
from stream_engine.expr.vector import Vec, from_series, literal, nulls

RESERVED = frozenset({"true", "false", "null"})


class Batch:
    """One frame being evaluated, with each referenced column converted only once."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.size = len(frame)
        self._columns: dict[str, Vec] = {}

    def column(self, name: str) -> Vec:
        vec = self._columns.get(name)
        if vec is None:
            if name in self.frame.columns:
                series = self.frame[name]
                if isinstance(series, pd.DataFrame):  # duplicate labels: the first one
                    series = series.iloc[:, 0]
                vec = from_series(series)
            else:  # a field missing from every record is null
                vec = nulls(self.size)
            self._columns[name] = vec
        return vec


class Node(ABC):
    """An expression node; `text` is its canonical source, `where` its message location."""

    text: str
    where: str = ""

    @abstractmethod
    def evaluate(self, batch: Batch) -> Vec: ...

    def children(self) -> tuple[Node, ...]:
        return ()

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children():
            yield from child.walk()


def _quote(name: str) -> str:
    """A column name as written in an expression; backticks when it is not a plain name."""
    plain = name.isidentifier() and not name.startswith("_")
    if plain and not keyword.iskeyword(name) and name not in RESERVED:
        return name
    return f"`{name}`"


def _render(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _operand(node: Node) -> str:
    """Child text, parenthesized unless it is atomic (no precedence to get wrong)."""
    return node.text if isinstance(node, Column | Literal | Call) else f"({node.text})"


class Column(Node):
    def __init__(self, name: str) -> None:
        self.name = name
        self.text = _quote(name)

    def evaluate(self, batch: Batch) -> Vec:
        return batch.column(self.name)


class Literal(Node):
    """A constant; its broadcast vector is reused while batches keep the same size."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.text = _render(value)
        self._cached: Vec | None = None

    def evaluate(self, batch: Batch) -> Vec:
        cached = self._cached  # vectors are never mutated, so sharing one is safe
        if cached is None or len(cached) != batch.size:
            cached = self._cached = literal(self.value, batch.size)
        return cached


class Arith(Node):
    def __init__(self, op: str, left: Node, right: Node) -> None:
        self.op, self.left, self.right = op, left, right
        self.text = f"{_operand(left)} {op} {_operand(right)}"

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def evaluate(self, batch: Batch) -> Vec:
        left, right = self.left.evaluate(batch), self.right.evaluate(batch)
        return ops.arith(self.op, left, right, self.where)


class Negate(Node):
    def __init__(self, operand: Node) -> None:
        self.operand = operand
        self.text = f"-{_operand(operand)}"

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def evaluate(self, batch: Batch) -> Vec:
        return ops.negate(self.operand.evaluate(batch), self.where)


class Compare(Node):
    """`a < b < c` means `a < b and b < c`, with each operand evaluated once."""

    def __init__(self, operators: list[str], operands: list[Node]) -> None:
        self.operators, self.operands = operators, operands
        parts = [_operand(operands[0])]
        for op, operand in zip(operators, operands[1:], strict=True):
            parts += [op, _operand(operand)]
        self.text = " ".join(parts)

    def children(self) -> tuple[Node, ...]:
        return tuple(self.operands)

    def evaluate(self, batch: Batch) -> Vec:
        previous = self.operands[0].evaluate(batch)
        result: Vec | None = None
        for op, node in zip(self.operators, self.operands[1:], strict=True):
            current = node.evaluate(batch)
            step = ops.compare(op, previous, current, self.where)
            result = step if result is None else ops.logical("and", result, step)
            previous = current
        assert result is not None  # the parser never builds an empty chain
        return result


class Logical(Node):
    """`and` / `or` over two or more operands, folded from the left."""

    def __init__(self, op: str, operands: list[Node]) -> None:
        self.op, self.operands = op, operands
        self.text = f" {op} ".join(_operand(o) for o in operands)

    def children(self) -> tuple[Node, ...]:
        return tuple(self.operands)

    def evaluate(self, batch: Batch) -> Vec:
        result = ops.as_bool(self.operands[0].evaluate(batch), self.op, self.where)
        for node in self.operands[1:]:
            operand = ops.as_bool(node.evaluate(batch), self.op, self.where)
            result = ops.logical(self.op, result, operand)
        return result


class Not(Node):
    def __init__(self, operand: Node) -> None:
        self.operand = operand
        self.text = f"not {_operand(operand)}"

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def evaluate(self, batch: Batch) -> Vec:
        return ops.logical_not(ops.as_bool(self.operand.evaluate(batch), "not", self.where))


class IsNull(Node):
    def __init__(self, operand: Node, negated: bool) -> None:
        self.operand, self.negated = operand, negated
        self.text = f"{_operand(operand)} is {'not ' if negated else ''}null"

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def evaluate(self, batch: Batch) -> Vec:
        return ops.is_null(self.operand.evaluate(batch), self.negated)


class Member(Node):
    def __init__(self, operand: Node, options: tuple[Any, ...], negated: bool) -> None:
        self.operand, self.options, self.negated = operand, options, negated
        listed = ", ".join(_render(o) for o in options)
        self.text = f"{_operand(operand)} {'not in' if negated else 'in'} [{listed}]"

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def evaluate(self, batch: Batch) -> Vec:
        operand = self.operand.evaluate(batch)
        return ops.member(operand, self.options, self.negated, self.where)


class Call(Node):
    def __init__(self, name: str, args: list[Node], ndigits: int = 0) -> None:
        self.name, self.args, self.ndigits = name, args, ndigits
        shown = [a.text for a in args] + ([str(ndigits)] if name == "round" and ndigits else [])
        self.text = f"{name}({', '.join(shown)})"

    def children(self) -> tuple[Node, ...]:
        return tuple(self.args)

    def evaluate(self, batch: Batch) -> Vec:
        args = [arg.evaluate(batch) for arg in self.args]
        return functions.call(self.name, args, self.ndigits, self.where)
