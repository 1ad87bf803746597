"""Session-wide real Kafka broker: KAFKA_BOOTSTRAP_SERVERS if set, else the repo's local one."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kafka_kit import KafkaKit
from postgres_kit import LocalPostgres, PostgresUnavailable

from stream_engine.devbroker import LocalBroker
from stream_engine.errors import StreamEngineError


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        try:
            KafkaKit(given)
        except StreamEngineError as exc:
            pytest.exit(f"KAFKA_BOOTSTRAP_SERVERS is set but unusable: {exc}", returncode=3)
        yield given
        return
    broker = LocalBroker(tmp_path_factory.mktemp("kafka-broker"))
    try:
        info = broker.start(timeout_s=120)
    except StreamEngineError as exc:
        pytest.exit(f"could not start the local Kafka broker: {exc}", returncode=3)
    try:
        yield info.bootstrap
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_session(kafka_bootstrap: str) -> KafkaKit:
    return KafkaKit(kafka_bootstrap)


@pytest.fixture
def kafka(kafka_session: KafkaKit) -> Iterator[KafkaKit]:
    yield kafka_session
    kafka_session.cleanup()


@pytest.fixture(params=["faust", "kafka"])
def runtime(request: pytest.FixtureRequest) -> str:
    """Both live runtimes must give the same results."""
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """One real PostgreSQL per session; a missing server fails loudly, it never skips."""
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    home = Path(tempfile.mkdtemp(prefix="stream-engine-postgres-"))
    server = LocalPostgres(home)
    try:
        server.init()
        server.start()
    except (PostgresUnavailable, OSError, KeyError) as exc:
        pytest.fail(f"could not start PostgreSQL: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def postgres_dsn(postgres_server: LocalPostgres) -> str:
    """A fresh, empty database for this test."""
    return postgres_server.create_database()
