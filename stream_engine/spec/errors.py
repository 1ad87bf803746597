"""Problems found in a pipeline file, and the one-line format they are reported in.

Every problem is ``<file>: <path>: <what was expected>``, so a user can jump to the key
without reading a stack trace; a file with several problems yields one line each.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

from stream_engine.errors import ConfigError

Loc = tuple[str | int, ...]

# The custom pydantic error type that carries several located problems at once.
ISSUES_ERROR_TYPE = "spec_issues"
# The custom pydantic error type whose message is already worded for the user.
SPEC_ERROR_TYPE = "spec"

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Issue:
    """One problem at a location in the file (loc uses keys and list indexes)."""

    loc: Loc
    message: str


class PipelineFileError(ConfigError):
    """A pipeline file that cannot be used; ``errors`` holds one line per problem."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: list[str] = list(errors)
        super().__init__("\n".join(self.errors))

    def __reduce__(self) -> tuple[type[PipelineFileError], tuple[list[str]]]:
        # Rebuild from the lines, not the joined message, when pickled across processes.
        return (type(self), (self.errors,))


def format_path(loc: Loc) -> str:
    """Render a location as users write it: ``steps[2].enrich.on``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _sort_key(loc: Loc) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in loc)


def render_issues(source: str, issues: Iterable[Issue]) -> list[str]:
    """One line per issue, sorted by path so related problems sit together."""
    lines = []
    for issue in sorted(issues, key=lambda i: (_sort_key(i.loc), i.message)):
        path = format_path(issue.loc)
        lines.append(f"{source}: {path}: {issue.message}" if path else f"{source}: {issue.message}")
    return list(dict.fromkeys(lines))


def issues_error(issues: Sequence[Issue]) -> PydanticCustomError:
    """Wrap located issues in one pydantic error; the loader expands it back into lines.

    Validators can raise only one error at their own location; this carries several,
    each with its location relative to the validator's, without losing precision.
    """
    summary = "; ".join(
        f"{format_path(i.loc)}: {i.message}" if i.loc else i.message for i in issues
    )
    return PydanticCustomError(
        ISSUES_ERROR_TYPE,
        "{summary}",
        {"summary": summary, "issues": [(i.loc, i.message) for i in issues]},
    )


def spec_error(message: str) -> PydanticCustomError:
    """A validation error whose text is shown to the user as is (braces are safe)."""
    return PydanticCustomError(SPEC_ERROR_TYPE, "{message}", {"message": message})


def unknown_key_message(key: object, allowed: Sequence[str]) -> str:
    """Explain an unknown key, suggesting the closest allowed one (typos are the usual cause)."""
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    hint = f", did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint} (allowed: {', '.join(allowed)})"


def describe_value(value: Any) -> str:
    """Name a YAML value the way the user wrote it, short enough for one line."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"
