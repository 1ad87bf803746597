"""Vectorized evaluation must agree with a plain per-row reference on random data.

The reference below restates the documented semantics (docs/expressions.md) directly in
Python, one row at a time, without sharing code with stream_engine.expr.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream_engine.expr import parse

# ---------------------------------------------------------------- reference evaluator


class RefError(Exception):
    def __init__(self, category: str) -> None:
        super().__init__(category)
        self.category = category


def is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def family(v: Any) -> str:
    return "num" if is_num(v) else type(v).__name__


def null_if_nan(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
ARITH["%"] = operator.mod
COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le}
COMPARE.update({">": operator.gt, ">=": operator.ge})


def ref_arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if is_num(a) and is_num(b):
        if op in ("/", "%") and b == 0:
            raise RefError("zero")
        return null_if_nan(ARITH[op](a, b))
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    raise RefError("type")


def ref_compare(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if family(a) == family(b) and (op in ("==", "!=") or not isinstance(a, bool)):
        return COMPARE[op](a, b)
    if op in ("==", "!="):
        return op == "!="
    raise RefError("type")


def ref_bool(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    raise RefError("type")


def ref(node: tuple[Any, ...], row: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "col":
        return row.get(node[1])
    if kind == "lit":
        return node[1]
    if kind == "arith":
        left = ref(node[2], row)
        return ref_arith(node[1], left, ref(node[3], row))
    if kind == "neg":
        v = ref(node[1], row)
        if v is None:
            return None
        if is_num(v):
            return -v
        raise RefError("type")
    if kind == "cmp":
        ops, operands = node[1], node[2]
        values = [ref(operands[0], row)]
        result: Any = True
        for i, op in enumerate(ops):  # a < b < c is a < b and b < c, evaluated lazily
            values.append(ref(operands[i + 1], row))
            step = ref_compare(op, values[i], values[i + 1])
            result = False if step is False else (None if step is None else result)
            if result is False:
                return False
        return result
    if kind in ("and", "or"):
        stop = kind == "or"  # the value that decides on its own
        a = ref_bool(ref(node[1], row))
        if a is stop:
            return stop
        b = ref_bool(ref(node[2], row))
        if b is stop:
            return stop
        return None if a is None or b is None else not stop
    if kind == "not":
        v = ref_bool(ref(node[1], row))
        return None if v is None else not v
    if kind == "isnull":
        v = ref(node[1], row)
        return (v is not None) if node[2] else (v is None)
    if kind == "in":
        v = ref(node[1], row)
        if v is None:
            return None
        found = any(family(v) == family(o) and v == o for o in node[2])
        return not found if node[3] else found
    if kind == "call":
        name, args = node[1], node[2]
        if name == "coalesce":
            for arg in args:
                v = ref(arg, row)
                if v is not None:
                    return v
            return None
        v = ref(args[0], row)
        if v is None:
            return None
        if name in ("lower", "len"):
            if not isinstance(v, str):
                raise RefError("type")
            return v.lower() if name == "lower" else len(v)
        if not is_num(v):
            raise RefError("type")
        return abs(v)
    raise AssertionError(node)


# ---------------------------------------------------------------- rendering


def render_literal(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f"'{v}'"
    return f"({v!r})" if v < 0 else repr(v)


def render(node: tuple[Any, ...]) -> str:
    kind = node[0]
    if kind == "col":
        return str(node[1])
    if kind == "lit":
        return render_literal(node[1])
    if kind == "arith":
        return f"({render(node[2])} {node[1]} {render(node[3])})"
    if kind == "neg":
        return f"(-{render(node[1])})"
    if kind == "cmp":
        parts = [render(node[2][0])]
        for op, operand in zip(node[1], node[2][1:], strict=True):
            parts += [op, render(operand)]
        return "(" + " ".join(parts) + ")"
    if kind in ("and", "or"):
        return f"({render(node[1])} {kind} {render(node[2])})"
    if kind == "not":
        return f"(not {render(node[1])})"
    if kind == "isnull":
        return f"({render(node[1])} is {'not ' if node[2] else ''}null)"
    if kind == "in":
        options = ", ".join(render_literal(o) for o in node[2])
        return f"({render(node[1])} {'not in' if node[3] else 'in'} [{options}])"
    return f"{node[1]}({', '.join(render(a) for a in node[2])})"


# ---------------------------------------------------------------- strategies

BIG = [2**53 + 1, 2**62, -(2**62), 2**63 - 1, -(2**63)]
ints = st.one_of(st.integers(-6, 6), st.just(0), st.sampled_from(BIG))
# floats that ints beyond 2**53 round to: numpy and Python must still compare them exactly
BIG_FLOATS = [2.0**53, 2.0**63, -(2.0**63)]
floats = st.one_of(
    st.floats(-8, 8, allow_nan=False, width=32).map(float),
    st.just(0.0),
    st.sampled_from(BIG_FLOATS),
)
numbers = st.one_of(ints, floats)
strings = st.text(alphabet="abAB ", max_size=3)
scalars = st.one_of(ints, floats, strings, st.booleans())
COLUMNS = {
    "i": st.one_of(st.none(), ints, ints),
    "f": st.one_of(st.none(), st.just(math.nan), floats, floats, floats),
    "s": st.one_of(st.none(), strings, strings),
    "b": st.one_of(st.none(), st.booleans(), st.booleans()),
    "m": st.one_of(st.none(), scalars),
}
# Which columns and literals fit each expression type; "any" mixes them on purpose, so
# type errors stay common but most expressions are well typed and produce values.
LEAVES = {
    "num": (["i", "i", "f", "f", "m"], numbers),
    "str": (["s", "s", "m"], strings),
    "any": ([*COLUMNS, "zz"], scalars),  # "zz" is never in the frame: missing means null
}
TYPES = st.sampled_from(["num", "num", "str", "any"])


def pick(options: dict[str, tuple[int, st.SearchStrategy[Any]]]) -> st.SearchStrategy[Any]:
    """Choose a branch by weight (plain one_of would favour branches with many leaves)."""
    names = [name for name, (weight, _) in options.items() for _ in range(weight)]
    return st.sampled_from(names).flatmap(lambda name: options[name][1])


def leaf(typ: str) -> st.SearchStrategy[tuple[Any, ...]]:
    names, literals = LEAVES[typ]
    columns = st.sampled_from(names).map(lambda n: ("col", n))
    return pick({"column": (2, columns), "literal": (1, literals.map(lambda v: ("lit", v)))})


def value_expr(depth: int, typ: str = "any") -> st.SearchStrategy[tuple[Any, ...]]:
    if depth <= 0:
        return leaf(typ)
    sub = st.deferred(lambda: value_expr(depth - 1, typ))
    strs = st.deferred(lambda: value_expr(depth - 1, "str"))
    arith_ops = st.sampled_from(["+", "-", "*", "/", "%"] if typ != "str" else ["+"])
    nullable = pick({"value": (3, sub), "null": (1, st.just(("lit", None)))})
    options: dict[str, tuple[int, st.SearchStrategy[Any]]] = {
        "leaf": (2, leaf(typ)),
        "arith": (4, st.tuples(st.just("arith"), arith_ops, sub, sub)),
        "neg": (1, sub.map(lambda x: ("neg", x))),
        "coalesce": (
            2,
            st.lists(nullable, min_size=1, max_size=3).map(
                lambda args: ("call", "coalesce", tuple(args))
            ),
        ),
    }
    if typ != "str":
        options["len"] = (1, strs.map(lambda x: ("call", "len", (x,))))
        options["abs"] = (1, sub.map(lambda x: ("call", "abs", (x,))))
    if typ != "num":
        options["lower"] = (1, strs.map(lambda x: ("call", "lower", (x,))))
    if typ == "any":
        options["bool"] = (1, st.deferred(lambda: bool_expr(depth - 1)))
    return pick(options)


def bool_expr(depth: int) -> st.SearchStrategy[tuple[Any, ...]]:
    values = TYPES.flatmap(lambda typ: value_expr(max(depth - 1, 0), typ))
    same_typed = TYPES.flatmap(
        lambda typ: st.integers(1, 2).flatmap(
            lambda k: st.tuples(
                st.lists(st.sampled_from(list(COMPARE)), min_size=k, max_size=k),
                st.lists(value_expr(max(depth - 1, 0), typ), min_size=k + 1, max_size=k + 1),
            )
        )
    )
    options: dict[str, tuple[int, st.SearchStrategy[Any]]] = {
        "compare": (4, same_typed.map(lambda t: ("cmp", t[0], t[1]))),
        "isnull": (1, st.tuples(st.just("isnull"), values, st.booleans())),
        "in": (1, st.tuples(st.just("in"), values, st.lists(scalars, max_size=3), st.booleans())),
        "column": (1, st.sampled_from(["b", "m"]).map(lambda n: ("col", n))),
    }
    if depth > 0:
        operand = st.deferred(lambda: bool_expr(depth - 1))
        logic = st.sampled_from(["and", "or"])
        options["logic"] = (4, st.tuples(logic, operand, operand))
        options["logic_any"] = (1, st.tuples(logic, operand, values))
        options["not"] = (1, operand.map(lambda x: ("not", x)))
    return pick(options)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(pick({"empty": (1, st.just(0)), "rows": (15, st.integers(1, 8))}))
    data = {
        name: draw(st.lists(values, min_size=n, max_size=n)) for name, values in COLUMNS.items()
    }
    mode = draw(st.sampled_from(["object", "inferred", "nullable"]))
    if mode == "object":
        return pd.DataFrame(data, dtype=object)
    frame = pd.DataFrame(data)
    return frame.convert_dtypes() if mode == "nullable" else frame


def python_value(v: Any) -> Any:
    """A frame cell as the record value it stands for (NaN and NA are null)."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA:
        return None
    return null_if_nan(v)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = {c: [python_value(v) for v in frame[c].astype(object)] for c in frame.columns}
    return [{c: columns[c][i] for c in frame.columns} for i in range(len(frame))]


# ---------------------------------------------------------------- the property


def same(actual: Any, expected: Any) -> bool:
    return type(actual) is type(expected) and actual == expected


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TYPES.flatmap(lambda typ: value_expr(3, typ)), bool_expr(3)), frames())
def test_vectorized_matches_reference(tree: tuple[Any, ...], frame: pd.DataFrame) -> None:
    source = render(tree)
    result = parse(source).evaluate(frame)
    assert len(result.values) == len(frame)
    assert list(result.values.index) == list(frame.index)
    truth = result.truth_mask()
    for i, row in enumerate(records(frame)):
        context = f"{source} on row {i} {row}"
        try:
            expected = ref(tree, row)
        except RefError as error:
            assert i in result.errors, context
            is_zero = result.errors[i].startswith("division by zero")
            assert is_zero == (error.category == "zero"), (context, result.errors[i])
            assert result.values.iloc[i] is None, context
            assert not truth[i], context
            continue
        assert i not in result.errors, (context, result.errors.get(i))
        actual = result.values.iloc[i]
        assert same(actual, expected), (context, actual, expected)
        assert truth[i] == (expected is True), context
