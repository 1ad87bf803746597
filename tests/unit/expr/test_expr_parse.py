"""Parsing: what the language accepts, and the exact message for everything it rejects."""

from __future__ import annotations

import pandas as pd
import pytest

from stream_engine.errors import ConfigError, ExpressionError
from stream_engine.expr import Expression, parse

ALLOWED = ", ".join(["abs", "coalesce", "len", "lower", "round", "upper"])

REJECTED = [
    ("a.b", 'attribute access is not allowed in expression "a.b"'),
    ("a.lower()", 'attribute access is not allowed in expression "a.lower()"'),
    ("a[0]", 'subscript access is not allowed in expression "a[0]"'),
    (
        "foo(a)",
        f'the function "foo" is not allowed in expression "foo(a)" (allowed: {ALLOWED})',
    ),
    (
        '__import__("os")',
        f'the function "__import__" is not allowed in expression "__import__("os")"'
        f" (allowed: {ALLOWED})",
    ),
    ("lambda: 1", 'a lambda is not allowed in expression "lambda: 1"'),
    ("[x for x in a]", 'a comprehension is not allowed in expression "[x for x in a]"'),
    ("{k: 1 for k in a}", 'a comprehension is not allowed in expression "{k: 1 for k in a}"'),
    ('f"{a}"', 'an f-string is not allowed in expression "f"{a}""'),
    ("(a := 1)", 'assignment (:=) is not allowed in expression "(a := 1)"'),
    (
        "__class__",
        'the name "__class__" is not allowed in expression "__class__"'
        " (quote names starting with _ in backticks)",
    ),
    (
        "_x > 1",
        'the name "_x" is not allowed in expression "_x > 1"'
        " (quote names starting with _ in backticks)",
    ),
    ("", 'expression "" is empty'),
    ("  \n ", 'expression "" is empty'),
    ("a +", 'syntax error in expression "a +": invalid syntax'),
    ("a = 1", 'syntax error in expression "a = 1": invalid syntax'),
    ("import os", 'syntax error in expression "import os": invalid syntax'),
    ("a ** 2", 'the operator "**" is not allowed in expression "a ** 2"'),
    ("a // 2", 'the operator "//" is not allowed in expression "a // 2"'),
    ("a & b", 'the operator "&" is not allowed in expression "a & b"'),
    ("~a", 'the operator "~" is not allowed in expression "~a"'),
    ("+a", 'the operator "unary +" is not allowed in expression "+a"'),
    (
        "a if b else c",
        'a conditional expression (x if c else y) is not allowed in expression "a if b else c"',
    ),
    ("{1: 2}", 'a dict literal is not allowed in expression "{1: 2}"'),
    ("{1}", 'a set literal is not allowed in expression "{1}"'),
    ("[1, 2]", 'a list outside "in" is not allowed in expression "[1, 2]"'),
    ("(1, 2)", 'a tuple outside "in" is not allowed in expression "(1, 2)"'),
    ('b"x"', 'a bytes literal is not allowed in expression "b"x""'),
    ("1j", 'a complex number is not allowed in expression "1j"'),
    ("...", '"..." is not allowed in expression "..."'),
    ("await a", 'await is not allowed in expression "await a"'),
    ("lower(*a)", 'unpacking (*) is not allowed in expression "lower(*a)"'),
    (
        "a is 1",
        '"is" other than "is null" or "is not null" is not allowed in expression "a is 1"',
    ),
    (
        "null is a",
        '"is" other than "is null" or "is not null" is not allowed in expression "null is a"',
    ),
    (
        "a is null is null",
        'chaining "is" or "in" with another comparison is not allowed in expression'
        ' "a is null is null"',
    ),
    (
        "a < b in (1,)",
        'chaining "is" or "in" with another comparison is not allowed in expression'
        ' "a < b in (1,)"',
    ),
    (
        "a in b",
        'a right side of "in" other than a list of literals like (1, 2) is not allowed'
        ' in expression "a in b"',
    ),
    (
        "a not in 'abc'",
        'a right side of "in" other than a list of literals like (1, 2) is not allowed'
        " in expression \"a not in 'abc'\"",
    ),
    (
        "a in (1, b)",
        'a value other than a literal in the list of "in" is not allowed in expression'
        ' "a in (1, b)"',
    ),
    (
        "a in (1, null)",
        'null in the list of "in" is not allowed in expression "a in (1, null)" (use "is null")',
    ),
    (
        "a == null",
        'comparing with null using "==" is not allowed in expression "a == null" (use "is null")',
    ),
    (
        "None != a",
        'comparing with null using "!=" is not allowed in expression "None != a" (use "is null")',
    ),
    ("lower(a, b)", 'lower takes 1 argument, got 2, in expression "lower(a, b)"'),
    ("len()", 'len takes 1 argument, got 0, in expression "len()"'),
    ("round(a, 1, 2)", 'round takes 1 or 2 arguments, got 3, in expression "round(a, 1, 2)"'),
    ("coalesce()", 'coalesce takes at least 1 argument, got 0, in expression "coalesce()"'),
    (
        "round(a, b)",
        "a second argument of round other than an integer literal is not allowed in"
        ' expression "round(a, b)"',
    ),
    (
        "round(a, 1.5)",
        "a second argument of round other than an integer literal is not allowed in"
        ' expression "round(a, 1.5)"',
    ),
    (
        "round(a, 99)",
        'rounding to more than 20 digits is not allowed in expression "round(a, 99)"',
    ),
    (
        "round(a, ndigits=1)",
        'a keyword argument is not allowed in expression "round(a, ndigits=1)"',
    ),
    ("`a", 'an unclosed backtick is not allowed in expression "`a"'),
    ("`` == 1", 'an empty backtick name is not allowed in expression "`` == 1"'),
    ("a >\n1 and", 'syntax error in expression "a > 1 and": invalid syntax'),
]


@pytest.mark.parametrize(("source", "message"), REJECTED, ids=[s for s, _ in REJECTED])
def test_rejected_expressions_name_the_expression_and_the_problem(
    source: str, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_expression_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        parse("a.b")


def test_unterminated_string_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionError, match=r'^syntax error in expression "x == \'abc": '):
        parse("x == 'abc")


def test_non_string_source_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="an expression must be a string, got int"):
        parse(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "source", ["-" * 150 + "1", "(" * 300 + "1" + ")" * 300, " + ".join(["a"] * 150)]
)
def test_deep_nesting_is_rejected_not_crashing(source: str) -> None:
    with pytest.raises(ExpressionError, match=r"nest|syntax error"):
        parse(source)


@pytest.mark.parametrize(
    ("source", "columns"),
    [
        ("event_type == 'page_view' and duration_ms > 0", {"event_type", "duration_ms"}),
        ("coalesce(lower(name), 'unknown')", {"name"}),
        ("`user id` is not null and `_private` > `class`", {"user id", "_private", "class"}),
        ("`null` is null", {"null"}),
        ("true or false or null is null", set()),
        ("a in (1, -2, 'x', true) and b not in [2.5]", {"a", "b"}),
        ("0 < a <= 10 != b", {"a", "b"}),
        ("round(a, -2) + round(b) + abs(c) + len(d) + upper(e)", set("abcde")),
        ("a >\n  1", {"a"}),
        ("a_q0 + `x`", {"a_q0", "x"}),  # a name that looks like a placeholder stays a name
    ],
)
def test_accepted_expressions_report_their_columns(source: str, columns: set[str]) -> None:
    expression = parse(source)
    assert isinstance(expression, Expression)
    assert expression.source == source
    assert expression.columns == frozenset(columns)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("s == 'true'", [True, False]),  # keywords inside strings stay text
        ('s == "null"', [False, True]),
        ("s in ('true', 'is null')", [True, False]),
        ("s + ' is not null' == 'true is not null'", [True, False]),
        ("'''it's''' == s", [False, False]),
        ("r'a\\'b' != s", [True, True]),
    ],
)
def test_keywords_inside_string_literals_are_not_translated(
    source: str, expected: list[bool]
) -> None:
    frame = pd.DataFrame({"s": ["true", "null"]})
    assert parse(source).evaluate(frame).values.tolist() == expected


def test_keyword_spellings_true_false_null_and_python_constants() -> None:
    frame = pd.DataFrame({"a": [None, 1]}, dtype=object)
    for source in ("a is null", "a is None"):
        assert parse(source).evaluate(frame).values.tolist() == [True, False]
    for source in ("true and not false", "True and not False"):
        assert parse(source).evaluate(frame).values.tolist() == [True, True]
