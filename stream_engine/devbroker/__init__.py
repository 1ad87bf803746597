"""Local Apache Kafka broker for the demo, the tests and the benchmarks."""

from stream_engine.devbroker.broker import BrokerInfo, LocalBroker, free_port
from stream_engine.devbroker.jars import KAFKA_VERSION, cache_dir, ensure_jars

__all__ = ["KAFKA_VERSION", "BrokerInfo", "LocalBroker", "cache_dir", "ensure_jars", "free_port"]
