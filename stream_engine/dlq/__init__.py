"""Dead letters: the original bytes plus headers saying why, where and when."""

from stream_engine.dlq.envelope import (
    REASONS,
    STAGES,
    DeadLetter,
    DeadLetterMessage,
    dead_letter_message,
    parse_dead_letter_headers,
)

__all__ = [
    "REASONS",
    "STAGES",
    "DeadLetter",
    "DeadLetterMessage",
    "dead_letter_message",
    "parse_dead_letter_headers",
]
