"""EventProducer without a reachable broker: config errors, closing with unsent events."""

from __future__ import annotations

import pytest

from stream_engine.errors import ConfigError
from stream_engine.producer import DeliveryError, EventProducer, ProduceError
from stream_engine.settings import Settings

NOWHERE = Settings(kafka_bootstrap_servers="127.0.0.1:1")


def test_an_unknown_librdkafka_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r'No such configuration property: "lingerr\.ms"'):
        EventProducer("t", settings=NOWHERE, config={"lingerr.ms": 5})


def test_close_fails_the_unsent_events_and_says_so() -> None:
    producer = EventProducer("views", key_field="user_id", settings=NOWHERE)
    errors: list[DeliveryError | None] = []
    future = producer.send({"user_id": "u1"}, on_delivery=lambda _d, e: errors.append(e))
    with pytest.raises(ProduceError, match=r"1 event\(s\) for topic 'views' not acknowledged"):
        producer.close(timeout_s=0.5)
    with pytest.raises(DeliveryError) as info:
        future.result(timeout=5)
    assert (info.value.topic, info.value.key) == ("views", b"u1")
    assert errors == [info.value]
    producer.close()  # closing twice is harmless
    with pytest.raises(ProduceError, match="the producer for topic 'views' is closed"):
        producer.send({"user_id": "u2"})


def test_leaving_with_an_exception_keeps_that_exception() -> None:
    with pytest.raises(KeyError), EventProducer("t", settings=NOWHERE, close_timeout_s=0.2) as p:
        p.send({"a": 1})
        raise KeyError("the application's own error")
