"""Parse and validate expression text against a strict whitelist of Python syntax.

`ast` does the parsing; this module accepts only the node types the language defines and
turns them into `nodes`. Nothing is ever compiled or executed as Python. Every rejection is
an ExpressionError naming the expression and what is not allowed.
"""

from __future__ import annotations

import ast
from typing import Any, NoReturn

from stream_engine.errors import ExpressionError
from stream_engine.expr import nodes
from stream_engine.expr.expression import Expression
from stream_engine.expr.functions import ARITY
from stream_engine.expr.scanner import ScanError, scan

MAX_DEPTH = 100
MAX_NDIGITS = 20

_ARITH: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
}
_COMPARE: dict[type[ast.AST], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_NEGATE: dict[type[ast.AST], str] = {ast.USub: "-"}
_FORBIDDEN_OPERATORS = {
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.UAdd: "unary +",
}
_FORBIDDEN_NODES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript access",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "assignment (:=)",
    ast.IfExp: "a conditional expression (x if c else y)",
    ast.Dict: "a dict literal",
    ast.Set: "a set literal",
    ast.List: 'a list outside "in"',
    ast.Tuple: 'a tuple outside "in"',
    ast.Starred: "unpacking (*)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_ALLOWED_FUNCTIONS = ", ".join(sorted(ARITY))


def display(source: str) -> str:
    """The expression as quoted in messages: one line."""
    return " ".join(source.strip().splitlines())


class _Compiler:
    """Walks the ast once, rejecting what is not in the language and building nodes."""

    def __init__(self, source: str, quoted: dict[str, str]) -> None:
        self.shown = display(source)
        self.quoted = quoted
        self.columns: set[str] = set()

    def fail(self, message: str) -> NoReturn:
        raise ExpressionError(message)

    def forbid(self, what: str, hint: str = "") -> NoReturn:
        self.fail(f'{what} is not allowed in expression "{self.shown}"{hint}')

    def build(self, node: ast.expr, depth: int = 0) -> nodes.Node:
        if depth > MAX_DEPTH:
            self.forbid(f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Name):
            return self.column(node.id)
        if isinstance(node, ast.Constant):
            return nodes.Literal(self.constant(node.value))
        if isinstance(node, ast.BinOp):
            op = self.operator(node.op, _ARITH)
            return nodes.Arith(
                op, self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            )
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return nodes.Logical(op, [self.build(v, depth + 1) for v in node.values])
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        self.forbid(_FORBIDDEN_NODES.get(type(node), f"{type(node).__name__} syntax"))

    def column(self, name: str) -> nodes.Node:
        if name in self.quoted:
            name = self.quoted[name]
        elif name.startswith("_"):
            self.forbid(f'the name "{name}"', " (quote names starting with _ in backticks)")
        self.columns.add(name)
        return nodes.Column(name)

    def constant(self, value: object) -> object:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, bytes):
            self.forbid("a bytes literal")
        if isinstance(value, complex):
            self.forbid("a complex number")
        if value is Ellipsis:
            self.forbid('"..."')
        self.forbid(f'the literal "{value!r}"')

    def operator(self, op: ast.AST, allowed: dict[type[ast.AST], str]) -> str:
        if type(op) in allowed:
            return allowed[type(op)]
        self.forbid(f'the operator "{_FORBIDDEN_OPERATORS.get(type(op), type(op).__name__)}"')

    def unary(self, node: ast.UnaryOp, depth: int) -> nodes.Node:
        if isinstance(node.op, ast.Not):
            return nodes.Not(self.build(node.operand, depth + 1))
        self.operator(node.op, _NEGATE)
        operand = self.build(node.operand, depth + 1)
        value = operand.value if isinstance(operand, nodes.Literal) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return nodes.Literal(-value)  # fold negative number literals
        return nodes.Negate(operand)

    def compare(self, node: ast.Compare, depth: int) -> nodes.Node:
        left = self.build(node.left, depth + 1)
        op, right = node.ops[0], node.comparators[0]
        special = [o for o in node.ops if isinstance(o, ast.Is | ast.IsNot | ast.In | ast.NotIn)]
        if special and len(node.ops) > 1:
            self.forbid('chaining "is" or "in" with another comparison')
        if special:
            negated = isinstance(op, ast.IsNot | ast.NotIn)
            if isinstance(op, ast.In | ast.NotIn):
                return nodes.Member(left, self.options(right), negated)
            if not (isinstance(right, ast.Constant) and right.value is None):
                self.forbid('"is" other than "is null" or "is not null"')
            return nodes.IsNull(left, negated)
        operators = [self.operator(o, _COMPARE) for o in node.ops]
        operands = [left] + [self.build(c, depth + 1) for c in node.comparators]
        for o, operand in zip(operators, operands[1:], strict=True):
            if isinstance(operand, nodes.Literal) and operand.value is None:
                self.forbid(f'comparing with null using "{o}"', ' (use "is null")')
        if isinstance(left, nodes.Literal) and left.value is None:
            self.forbid(f'comparing with null using "{operators[0]}"', ' (use "is null")')
        return nodes.Compare(operators, operands)

    def options(self, node: ast.expr) -> tuple[Any, ...]:
        if not isinstance(node, ast.Tuple | ast.List):
            self.forbid('a right side of "in" other than a list of literals like (1, 2)')
        values = []
        for element in node.elts:
            built = self.build(element) if isinstance(element, ast.Constant | ast.UnaryOp) else None
            if not isinstance(built, nodes.Literal):
                self.forbid('a value other than a literal in the list of "in"')
            if built.value is None:
                self.forbid('null in the list of "in"', ' (use "is null")')
            values.append(built.value)
        return tuple(values)

    def call(self, node: ast.Call, depth: int) -> nodes.Node:
        if not isinstance(node.func, ast.Name):
            self.build(node.func, depth + 1)  # reports what the callee is
            self.forbid("calling anything but a function name")
        name = node.func.id
        if name not in ARITY:
            self.forbid(f'the function "{name}"', f" (allowed: {_ALLOWED_FUNCTIONS})")
        if node.keywords:
            self.forbid("a keyword argument")
        fewest, most = ARITY[name]
        count = len(node.args)
        if count < fewest or (most is not None and count > most):
            self.fail(
                f"{name} takes {_arguments(fewest, most)}, got {count}, "
                f'in expression "{self.shown}"'
            )
        args = [self.build(a, depth + 1) for a in node.args]
        ndigits = 0
        if name == "round" and len(args) == 2:
            digits = args.pop()
            value = digits.value if isinstance(digits, nodes.Literal) else None
            if not (isinstance(value, int) and not isinstance(value, bool)):
                self.forbid("a second argument of round other than an integer literal")
            if abs(value) > MAX_NDIGITS:
                self.forbid(f"rounding to more than {MAX_NDIGITS} digits")
            ndigits = value
        return nodes.Call(name, args, ndigits)


def _arguments(fewest: int, most: int | None) -> str:
    """How many arguments a function takes, in words."""
    if most is None:
        return f"at least {fewest} argument{'s' if fewest != 1 else ''}"
    if fewest == most:
        return f"{fewest} argument{'s' if fewest != 1 else ''}"
    return f"{fewest} or {most} arguments"


def parse(source: str) -> Expression:
    """Parse `source` once into a compiled Expression; raise ExpressionError if invalid."""
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string, got {type(source).__name__}")
    shown = display(source)
    if not shown:
        raise ExpressionError(f'expression "{shown}" is empty')
    try:
        scanned = scan(source)
        tree = ast.parse(scanned.python.strip(), mode="eval")
    except ScanError as error:
        raise ExpressionError(f'{error} is not allowed in expression "{shown}"') from None
    except SyntaxError as error:
        message = f'syntax error in expression "{shown}": {error.msg}'
        raise ExpressionError(message) from None
    except ValueError as error:  # e.g. a null byte, on Python versions that raise ValueError
        raise ExpressionError(f'syntax error in expression "{shown}": {error}') from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f'expression "{shown}" is nested too deeply') from None
    compiler = _Compiler(source, scanned.quoted)
    root = compiler.build(tree.body)
    for node in root.walk():
        node.where = f'"{node.text}" (expression "{shown}")'
    root.where = f'"{shown}"'
    return Expression(source, root, frozenset(compiler.columns))
