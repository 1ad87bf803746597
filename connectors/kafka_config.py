"""The one place that turns Settings into confluent-kafka client configs.

Producers use the murmur2 partitioner so a key lands in the partition that the Java
clients and aiokafka (Faust) choose; librdkafka's default (consistent_random) differs.
"""

from __future__ import annotations

import logging
from typing import Any

from stream_engine.errors import ConfigError
from stream_engine.settings import Settings

CLIENT_LOG = logging.getLogger("stream_engine.kafka.client")


def _require_bootstrap(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        raise ConfigError(
            "no Kafka cluster configured: set KAFKA_BOOTSTRAP_SERVERS "
            "(or start one with `stream-engine dev broker start`)"
        )
    return settings.kafka_bootstrap_servers


def common_config(settings: Settings) -> dict[str, Any]:
    """Connection and security options shared by every client."""
    conf: dict[str, Any] = {
        "bootstrap.servers": _require_bootstrap(settings),
        "security.protocol": settings.kafka_security_protocol,
        # librdkafka logs through Python logging instead of raw lines on stderr; its
        # transient warnings (coordinator loading, reconnects) stay below ERROR.
        "logger": CLIENT_LOG,
    }
    if settings.kafka_sasl_mechanism:
        conf["sasl.mechanism"] = settings.kafka_sasl_mechanism
    if settings.kafka_sasl_username:
        conf["sasl.username"] = settings.kafka_sasl_username
    if settings.kafka_sasl_password is not None:
        conf["sasl.password"] = settings.kafka_sasl_password.get_secret_value()
    if settings.kafka_ssl_ca_file:
        conf["ssl.ca.location"] = str(settings.kafka_ssl_ca_file)
    if settings.kafka_ssl_cert_file:
        conf["ssl.certificate.location"] = str(settings.kafka_ssl_cert_file)
    if settings.kafka_ssl_key_file:
        conf["ssl.key.location"] = str(settings.kafka_ssl_key_file)
    if settings.kafka_ssl_key_password is not None:
        conf["ssl.key.password"] = settings.kafka_ssl_key_password.get_secret_value()
    return conf


def producer_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """Durable producer: acks=all, idempotent, murmur2 partitioning."""
    conf = common_config(settings)
    conf.update(
        {
            "acks": "all",
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
            "linger.ms": 5,
            "compression.type": "lz4",
        }
    )
    conf.update(extra)
    return conf


def consumer_config(settings: Settings, group_id: str | None, **extra: Any) -> dict[str, Any]:
    """Consumer that never auto-commits: offsets are committed by the runtime after outputs."""
    conf = common_config(settings)
    conf.update(
        {
            "group.id": group_id or "stream-engine.unused",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": False,
        }
    )
    conf.update(extra)
    return conf


def admin_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    conf = common_config(settings)
    conf.update(extra)
    return conf
