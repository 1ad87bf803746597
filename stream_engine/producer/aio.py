"""AsyncEventProducer: the SDK for asyncio applications, shaped like aiokafka's producer.

It wraps an EventProducer: encoding and queueing never block the event loop, and
delivery reports reach awaiting coroutines through asyncio futures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from stream_engine.producer.client import Delivery, DeliveryCallback, EventProducer, Headers
from stream_engine.producer.events import NO_KEY
from stream_engine.serde import Format
from stream_engine.settings import Settings

QUEUE_FULL_WAIT_S = 0.01


class AsyncEventProducer:
    """`await send(...)` queues an event and returns a future of its Delivery;
    `await send_and_wait(...)` returns the Delivery. Takes EventProducer's arguments."""

    def __init__(
        self,
        topic: str,
        *,
        format: Format = "json",
        schema: Path | str | None = None,
        schema_id: int | None = None,
        schema_dir: Path | str | None = None,
        model: type[BaseModel] | None = None,
        key_field: str | None = None,
        settings: Settings | None = None,
        config: Mapping[str, Any] | None = None,
        close_timeout_s: float = 30.0,
    ) -> None:
        self.topic = topic
        self._sync = EventProducer(
            topic,
            format=format,
            schema=schema,
            schema_id=schema_id,
            schema_dir=schema_dir,
            model=model,
            key_field=key_field,
            settings=settings,
            config=config,
            close_timeout_s=close_timeout_s,
        )

    async def send(
        self,
        event: BaseModel | Mapping[str, Any],
        *,
        key: Any = NO_KEY,
        headers: Headers | None = None,
        timestamp_ms: int | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> asyncio.Future[Delivery]:
        """Validate, encode and queue (InvalidEventError at once); await the result for the
        Delivery, or a DeliveryError. `on_delivery` runs on the reporting thread."""
        key_bytes, value = self._sync.encode(event, key)
        while True:
            queued = self._sync.enqueue(key_bytes, value, headers, timestamp_ms, on_delivery)
            if queued is not None:
                return asyncio.wrap_future(queued)
            await asyncio.sleep(QUEUE_FULL_WAIT_S)  # librdkafka's queue is full

    async def send_and_wait(
        self,
        event: BaseModel | Mapping[str, Any],
        *,
        key: Any = NO_KEY,
        headers: Headers | None = None,
        timestamp_ms: int | None = None,
    ) -> Delivery:
        """Send one event and wait for the broker's acknowledgement."""
        return await (await self.send(event, key=key, headers=headers, timestamp_ms=timestamp_ms))

    async def flush(self, timeout_s: float | None = None) -> int:
        """Wait (off the event loop) for queued events; return how many are still pending."""
        return await asyncio.to_thread(self._sync.flush, timeout_s)

    async def close(self, timeout_s: float | None = None) -> None:
        """Flush and stop; ProduceError if events stayed unacknowledged."""
        await asyncio.to_thread(self._sync.close, timeout_s)

    async def __aenter__(self) -> AsyncEventProducer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self._sync.__exit__, exc_type, exc, tb)
