"""Producer errors: every one names the topic and the key, so a failed event can be found."""

from __future__ import annotations

from stream_engine.errors import StreamEngineError


def describe_key(key: bytes | None) -> str:
    """A key as it appears in messages: text when it is UTF-8, else its bytes' repr."""
    if key is None:
        return "no key"
    try:
        return f"key {key.decode('utf-8')!r}"
    except UnicodeDecodeError:
        return f"key {key!r}"


class ProduceError(StreamEngineError):
    """An event that was not produced; `topic` and `key` say which."""

    def __init__(self, message: str, *, topic: str, key: bytes | None) -> None:
        super().__init__(message)
        self.topic = topic
        self.key = key


class InvalidEventError(ProduceError):
    """The event failed validation or encoding; raised by `send` before anything is sent."""


class DeliveryError(ProduceError):
    """The broker did not acknowledge the event; `code` is librdkafka's error name."""

    def __init__(
        self,
        message: str,
        *,
        topic: str,
        key: bytes | None,
        code: str,
        retriable: bool = False,
    ) -> None:
        super().__init__(message, topic=topic, key=key)
        self.code = code
        self.retriable = retriable
