"""``${VAR}`` and ``${VAR:-default}`` in the string values of a parsed pipeline file.

Expansion runs after YAML parsing, on string values only (never keys), so a variable
can change a value but never the file's structure: ``"a: b"`` stays the string
``"a: b"``. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stream_engine.spec.errors import Issue, Loc

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)(\})?")
_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)


class EnvReferenceError(ValueError):
    """A ``${...}`` that cannot be expanded; the message is meant for the user."""


def expand_string(text: str, env: Mapping[str, str]) -> str:
    """Expand the references in one string; raise EnvReferenceError on the first bad one.

    ``${VAR:-default}`` uses the default when VAR is unset or empty, as in the shell.
    """
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        if match.group(2) is None:
            raise EnvReferenceError(
                f"unterminated {match.group(0)!r}: expected ${{NAME}} or ${{NAME:-default}} "
                "(write $${ for a literal ${)"
            )
        body = _BODY.fullmatch(match.group(1))
        if body is None:
            raise EnvReferenceError(
                f"invalid reference {match.group(0)!r}: expected ${{NAME}} or ${{NAME:-default}} "
                "(write $${ for a literal ${)"
            )
        name, default = body.group(1), body.group(2)
        if default is not None and "${" in default:
            raise EnvReferenceError(
                f"nested reference in the default of ${{{name}:-...}} is not supported"
            )
        value = env.get(name)
        if default is not None:
            return value if value else default
        if value is None:
            raise EnvReferenceError(
                f"environment variable {name} is not set (use ${{{name}:-default}} for a default)"
            )
        return value

    return _REFERENCE.sub(replace, text)


def expand_env(data: Any, env: Mapping[str, str]) -> tuple[Any, list[Issue]]:
    """Return ``data`` with every string value expanded, and the problems found.

    All problems are collected, so a file with three unset variables reports three lines.
    """
    issues: list[Issue] = []

    def walk(value: Any, loc: Loc) -> Any:
        if isinstance(value, str):
            try:
                return expand_string(value, env)
            except EnvReferenceError as exc:
                issues.append(Issue(loc, str(exc)))
                return value
        if isinstance(value, dict):
            return {key: walk(item, (*loc, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*loc, i)) for i, item in enumerate(value)]
        return value

    return walk(data, ()), issues
