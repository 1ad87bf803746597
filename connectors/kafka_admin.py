"""Cluster checks and topic management with clear, one-line failures."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from connectors.kafka_config import admin_config
from stream_engine.errors import BrokerError
from stream_engine.settings import Settings


@dataclass(frozen=True)
class TopicRequest:
    name: str
    partitions: int = 1
    replication: int = 1
    config: dict[str, str] = field(default_factory=dict)


def _admin(settings: Settings) -> AdminClient:
    # librdkafka logs connection refusals to stderr on its own; the caller reports instead.
    return AdminClient(admin_config(settings, logger=_QuietLogger()))


class _QuietLogger:
    def log(self, *_args: object, **_kwargs: object) -> None:
        return None

    def __getattr__(self, _name: str) -> object:
        return self.log


def wait_for_cluster(settings: Settings, timeout_s: float = 30) -> AdminClient:
    """Return an admin client once the cluster answers, or fail naming the address."""
    admin = _admin(settings)
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            admin.list_topics(timeout=min(5.0, max(0.5, deadline - time.monotonic())))
            return admin
        except KafkaException as exc:
            last = str(exc.args[0]) if exc.args else str(exc)
    raise BrokerError(
        f"no Kafka broker answered at {settings.kafka_bootstrap_servers} within "
        f"{timeout_s:.0f}s ({last})"
    )


def topic_partitions(admin: AdminClient, topics: Iterable[str]) -> dict[str, int]:
    """Partition counts of the topics that exist (missing ones are absent from the result)."""
    meta = admin.list_topics(timeout=10)
    found: dict[str, int] = {}
    for name in topics:
        topic = meta.topics.get(name)
        if topic is not None and topic.error is None:
            found[name] = len(topic.partitions)
    return found


def ensure_topics(admin: AdminClient, requests: Iterable[TopicRequest]) -> list[str]:
    """Create the missing topics; return the names created. Existing ones are left alone."""
    wanted = list(requests)
    existing = topic_partitions(admin, [r.name for r in wanted])
    missing = [r for r in wanted if r.name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [NewTopic(r.name, r.partitions, r.replication, config=r.config) for r in missing],
        operation_timeout=30,
    )
    created = []
    for name, future in futures.items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            err = exc.args[0]
            if getattr(err, "name", lambda: "")() == "TOPIC_ALREADY_EXISTS":
                continue
            raise BrokerError(f"cannot create topic {name}: {err}") from None
    _wait_visible(admin, created)
    return created


def _wait_visible(admin: AdminClient, names: list[str], timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while names and time.monotonic() < deadline:
        if len(topic_partitions(admin, names)) == len(names):
            return
        time.sleep(0.1)


def delete_topics(admin: AdminClient, names: Iterable[str]) -> None:
    names = list(dict.fromkeys(names))  # librdkafka crashes on a name given twice
    if not names:
        return
    for future in admin.delete_topics(names, operation_timeout=30).values():
        try:
            future.result()
        except KafkaException:
            continue


def reset_group(admin: AdminClient, group: str, topics: list[str]) -> tuple[bool, list[str]]:
    """Delete a consumer group (it must have no members) and the given topics."""
    described = admin.describe_consumer_groups([group])[group]
    try:
        members = described.result().members
    except KafkaException:
        members = []
    if members:
        raise BrokerError(
            f"consumer group {group} has {len(members)} active member(s); stop its workers first"
        )
    deleted_group = True
    try:
        admin.delete_consumer_groups([group])[group].result()
    except KafkaException as exc:
        err = exc.args[0]
        if getattr(err, "name", lambda: "")() not in ("GROUP_ID_NOT_FOUND",):
            raise BrokerError(f"cannot delete consumer group {group}: {err}") from None
        deleted_group = False
    existing = topic_partitions(admin, topics)
    delete_topics(admin, list(existing))
    return deleted_group, list(existing)
