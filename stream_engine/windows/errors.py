"""The one error the window engine raises about data: a value an aggregation cannot take.

It is data, not a crash: the operator catches it and returns the record in
``WindowOutput.errors`` so the caller dead-letters it (reason ``eval_error``, stage ``window``).
"""

from __future__ import annotations

from stream_engine.errors import StreamEngineError


class WindowValueError(StreamEngineError):
    """A record value an aggregation rejects (e.g. the sum of ``'abc'``); one-line message."""
