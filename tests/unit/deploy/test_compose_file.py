"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead."""

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_kafka_service_is_single_node_kraft_without_auto_create() -> None:
    kafka = _compose()["services"]["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "1"
    assert "9092:9092" in kafka["ports"]
    assert "localhost:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_prometheus_scrapes_the_worker_metrics_port() -> None:
    prom = _compose()["services"]["prometheus"]
    assert prom["image"].startswith("prom/prometheus:")
    assert "9090:9090" in prom["ports"]
    assert prom["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" in prom
    mount = next(v for v in prom["volumes"] if "prometheus.yml" in v)
    config = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    targets = [
        t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    ]
    assert "host.docker.internal:9108" in targets
