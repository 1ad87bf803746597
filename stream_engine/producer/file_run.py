"""Send a JSON Lines file through an EventProducer: each line is one event.

A line that fails (invalid JSON, not an object, rejected by the schema, not delivered)
is reported with its number and counted; the others are still sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from stream_engine.producer.client import Delivery, EventProducer
from stream_engine.producer.errors import DeliveryError, InvalidEventError
from stream_engine.serde.errors import one_line

LineFailure = Callable[[int, str], None]


@dataclass
class FileSummary:
    lines: int = 0
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0
    partitions: dict[int, int] = field(default_factory=dict)
    """Delivered events per partition."""


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, int, dict[str, Any] | str]]:
    """(line number, bytes read, the event or why the line is not one); blank lines skipped."""
    for number, raw in enumerate(stream, start=1):
        text = raw.strip()
        if not text:
            yield number, len(raw), ""
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield number, len(raw), f"invalid JSON: {one_line(exc)}"
            continue
        if not isinstance(value, dict):
            yield number, len(raw), f"expected a JSON object, got {type(value).__name__}"
            continue
        yield number, len(raw), value


def produce_lines(
    producer: EventProducer,
    lines: Iterable[tuple[int, int, dict[str, Any] | str]],
    on_failure: LineFailure,
    on_progress: Callable[[int], None] | None = None,
) -> FileSummary:
    """Send every event line; close the producer (flush) before returning the summary."""
    summary = FileSummary()
    lock = threading.Lock()
    began = time.monotonic()

    def delivered(number: int) -> Callable[[Delivery | None, DeliveryError | None], None]:
        def report(delivery: Delivery | None, error: DeliveryError | None) -> None:
            with lock:
                if error is not None:
                    summary.failed += 1
                    on_failure(number, str(error))
                elif delivery is not None:
                    summary.sent += 1
                    count = summary.partitions.get(delivery.partition, 0)
                    summary.partitions[delivery.partition] = count + 1

        return report

    try:
        for number, size, item in lines:
            if on_progress is not None:
                on_progress(size)
            if item == "":
                continue
            summary.lines += 1
            if isinstance(item, str):
                _fail(summary, lock, on_failure, number, item)
                continue
            try:
                producer.send(item, on_delivery=delivered(number))
            except InvalidEventError as exc:
                _fail(summary, lock, on_failure, number, _without_prefix(str(exc)))
    finally:
        producer.close()
    summary.seconds = time.monotonic() - began
    return summary


def _fail(
    summary: FileSummary, lock: threading.Lock, on_failure: LineFailure, number: int, why: str
) -> None:
    with lock:
        summary.failed += 1
        on_failure(number, why)


def _without_prefix(message: str) -> str:
    """`event with key ... was not sent: why` -> `why`: the line number already says which."""
    _, sep, why = message.partition(" was not sent: ")
    return why if sep else message
