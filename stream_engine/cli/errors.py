"""Turn expected failures into one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from stream_engine.errors import ConfigError, StreamEngineError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_FAILURE = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print an error line; return the Exit for the caller to raise."""
    for line in message.splitlines() or [message]:
        print(f"error: {line}", file=sys.stderr)
    return typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for commands: StreamEngineError -> `error: ...` and exit 2 (config) or 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        except StreamEngineError as exc:
            raise fail(str(exc), EXIT_FAILURE) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper
