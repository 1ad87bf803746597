"""Parse source URIs (`kafka://`, `postgresql://`, `duckdb://`) with one-line errors."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from stream_engine.errors import ConfigError


@dataclass(frozen=True)
class SourceUri:
    scheme: str
    netloc: str
    path: str
    params: dict[str, str]
    text: str


def parse_uri(text: str, allowed: Collection[str]) -> SourceUri:
    """Split a URI; a query parameter outside `allowed` or given twice is a ConfigError."""
    parts = urlsplit(text)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params: dict[str, str] = {}
    for key, value in pairs:
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ConfigError(f"{text}: unknown parameter {key!r} (known: {known})")
        if key in params:
            raise ConfigError(f"{text}: parameter {key!r} is given twice")
        params[key] = value
    return SourceUri(parts.scheme.lower(), parts.netloc, parts.path, params, text)


def scheme_of(text: str) -> str | None:
    """The scheme of `scheme://...`, or None for a plain path."""
    head, sep, _ = text.partition("://")
    if not sep or not head or not head.replace("+", "").replace("-", "").isalnum():
        return None
    return head.lower()
