"""The application SDK: send pydantic models or dicts to Kafka as JSON or Avro.

Also home to the example data generators behind `stream-engine produce --example`.
"""

from stream_engine.producer.aio import AsyncEventProducer
from stream_engine.producer.client import SDK_DEFAULTS, Delivery, EventProducer
from stream_engine.producer.errors import DeliveryError, InvalidEventError, ProduceError

__all__ = [
    "SDK_DEFAULTS",
    "AsyncEventProducer",
    "Delivery",
    "DeliveryError",
    "EventProducer",
    "InvalidEventError",
    "ProduceError",
]
