"""Turn expression text into Python expression text that `ast` can parse.

Only three things change, all outside string literals: `true`, `false` and `null` become
`True`, `False` and `None`; a backtick-quoted column name becomes a placeholder identifier;
line breaks become spaces (YAML block scalars span lines). Everything else is copied as
written, so `ast` reports syntax errors and the parser sees every construct the user wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

_KEYWORDS = {"true": "True", "false": "False", "null": "None"}
_STRING_PREFIXES = frozenset({"r", "u", "b", "f", "br", "rb", "fr", "rf"})
_QUOTES = "'\""


class ScanError(ValueError):
    """Text that cannot even be tokenized; the message says what is wrong."""


@dataclass(frozen=True)
class Scanned:
    """Python source plus the column name behind each backtick placeholder."""

    python: str
    quoted: dict[str, str]


def _string_end(source: str, start: int) -> int:
    """Index just past the string literal whose opening quote is at `start`."""
    quote = source[start]
    delimiter = quote * 3 if source.startswith(quote * 3, start) else quote
    i = start + len(delimiter)
    while i < len(source):
        if source[i] == "\\":
            i += 2
        elif source.startswith(delimiter, i):
            return i + len(delimiter)
        else:
            i += 1
    return len(source)  # unterminated: ast reports it


def _word_end(source: str, start: int) -> int:
    i = start
    while i < len(source) and (source[i].isalnum() or source[i] == "_"):
        i += 1
    return i


def _number_end(source: str, start: int) -> int:
    """Index past a numeric literal such as 1_000, 2.5e-3 or 0x1F (validated by ast)."""
    i = start
    hexadecimal = source.startswith(("0x", "0X"), start)
    while i < len(source):
        c = source[i]
        exponent_sign = c in "+-" and not hexadecimal and source[i - 1] in "eE"
        if not (c.isalnum() or c in "._" or exponent_sign):
            break
        i += 1
    return i


def _placeholder_base(source: str) -> str:
    """An identifier prefix that occurs nowhere in the source, so it cannot collide."""
    base = "_q"
    while base in source:
        base += "q"
    return base


def scan(source: str) -> Scanned:
    """Rewrite `source` for `ast.parse`; raise ScanError on a bad backtick name."""
    out: list[str] = []
    quoted: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    base = _placeholder_base(source)
    i = 0
    while i < len(source):
        c = source[i]
        if c in _QUOTES:
            end = _string_end(source, i)
            out.append(source[i:end])
        elif c == "`":
            close = source.find("`", i + 1)
            if close < 0:
                raise ScanError("an unclosed backtick")
            name = source[i + 1 : close]
            if not name:
                raise ScanError("an empty backtick name")
            if name not in placeholders:
                placeholders[name] = f"{base}{len(placeholders)}"
                quoted[placeholders[name]] = name
            out.append(placeholders[name])
            end = close + 1
        elif c.isalpha() or c == "_":
            end = _word_end(source, i)
            word = source[i:end]
            if end < len(source) and source[end] in _QUOTES and word.lower() in _STRING_PREFIXES:
                end = _string_end(source, end)
                out.append(source[i:end])
            else:
                out.append(_KEYWORDS.get(word, word))
        elif c.isdigit() or (c == "." and source[i + 1 : i + 2].isdigit()):
            end = _number_end(source, i)
            out.append(source[i:end])
        else:
            end = i + 1
            out.append(" " if c in "\r\n" else c)
        i = end
    return Scanned("".join(out), quoted)
