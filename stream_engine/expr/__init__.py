"""The safe expression language of `filter` and `map` steps (see docs/expressions.md)."""

from stream_engine.expr.expression import EvalResult, Expression
from stream_engine.expr.parser import parse

__all__ = ["EvalResult", "Expression", "parse"]
