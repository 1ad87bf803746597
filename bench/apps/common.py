"""Settings shared by the Faust contenders, so (b) and (c) differ only in their agent.

The consumer-side tuning mirrors what stream_engine.runtime.faust.app.build_app gives the
stream-engine worker (poll size, stream buffer, commit interval, session timeouts), so the
comparison measures per-record work, not Faust configuration.
"""

from __future__ import annotations

import logging
import os

import faust


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def make_app() -> faust.App:
    batch = env_int("BATCH_SIZE", 500)
    return faust.App(
        os.environ["APP_ID"],
        broker=f"kafka://{os.environ['KAFKA_BOOTSTRAP_SERVERS']}",
        web_enabled=False,
        datadir=os.environ["DATA_DIR"],
        topic_allow_declare=False,
        topic_disable_leader=True,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        broker_commit_every=10_000,
        broker_commit_interval=1.0,
        broker_max_poll_records=max(batch, 500),
        stream_buffer_maxsize=max(4 * batch, 4096),
        producer_acks=-1,
        producer_linger=env_int("FAUST_LINGER_MS", 0) / 1000,
        producer_compression_type=os.environ.get("FAUST_COMPRESSION") or None,
    )


def quiet_logging() -> None:
    """Undo the DEBUG root level the Faust worker leaves behind (its handler filters instead).

    With it, aiokafka builds a LogRecord for every message it sends; the stream-engine
    worker sets its own levels, so the Faust contenders get the same treatment. Called
    from inside the agent, after the worker has configured logging.
    """
    logging.getLogger().setLevel(logging.WARNING)
