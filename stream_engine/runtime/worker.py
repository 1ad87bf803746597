"""`stream-engine worker`: preflight checks, reference tables, metrics, then a runtime.

Two runtimes carry out the same BatchRunner: Faust agents (`faust`, the default) and a
confluent-kafka batch consumer (`kafka`, see kafka_loop.py for why it exists).
"""

from __future__ import annotations

import logging
import signal
import tempfile
from pathlib import Path
from typing import Literal

from connectors.kafka_admin import TopicRequest, ensure_topics, topic_partitions, wait_for_cluster
from connectors.kafka_changelog import log_end_offset, read_partition
from connectors.kafka_reference import ReferenceLoader
from stream_engine.errors import BrokerError, StateError
from stream_engine.monitor import MetricsServer, PipelineMetrics
from stream_engine.runtime.db_sources import ensure_extract_topics, start_extractors
from stream_engine.runtime.delivery import Delivery
from stream_engine.runtime.kafka_loop import KafkaLoop
from stream_engine.runtime.observe import WorkerObserver
from stream_engine.runtime.quality_setup import quality_changelogs, restore_quality_state
from stream_engine.runtime.readiness import Readiness
from stream_engine.runtime.runner import BatchRunner
from stream_engine.runtime.table_delivery import TableDelivery
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec
from stream_engine.topology import Topology
from stream_engine.windows import PartitionState

log = logging.getLogger(__name__)


def preflight(spec: PipelineSpec, settings: Settings) -> list[str]:
    """Fail fast on a missing source; create missing sink and dead-letter topics."""
    admin = wait_for_cluster(settings)
    ensure_extract_topics(admin, spec)  # the topics postgres sources fill
    needed = {s.topic: f"sources.{n}.topic" for n, s in spec.sources.items()}
    needed.update({r.topic: f"reference.{n}.topic" for n, r in spec.reference.items()})
    found = topic_partitions(admin, needed)
    missing = [f"{topic!r} ({where})" for topic, where in needed.items() if topic not in found]
    if missing:
        raise BrokerError(
            f"source topic {', '.join(missing)} does not exist on "
            f"{settings.kafka_bootstrap_servers}; create it or fix the pipeline file"
        )
    requests = [
        TopicRequest(t.name, t.partitions, t.replication, dict(t.config))
        for t in spec.topics_to_create()
    ]
    changelogs = {
        spec.changelog_topic(name): found[spec.sources[spec.window_source(name)].topic]
        for name in spec.windows
    }
    changelogs.update(quality_changelogs(spec, found))
    existing = topic_partitions(admin, changelogs)
    for topic, partitions in changelogs.items():
        if topic in existing and existing[topic] != partitions:
            raise BrokerError(
                f"state changelog {topic!r} has {existing[topic]} partitions but its source has "
                f"{partitions}; run `stream-engine reset` for this pipeline version"
            )
        requests.append(
            TopicRequest(
                topic, partitions, spec.defaults.replication, {"cleanup.policy": "compact"}
            )
        )
    return ensure_topics(admin, requests)


def restore_state(
    settings: Settings, spec: PipelineSpec, window: str, partition: int
) -> PartitionState:
    topic = spec.changelog_topic(window)
    source = spec.sources[spec.window_source(window)].topic
    state = PartitionState.from_changelog(read_partition(settings, topic, partition))
    check_state_source(settings, state, spec, topic, source, partition)
    log.info(
        "restored %s[%d]: watermark %s, %d open windows",
        topic,
        partition,
        state.watermark,
        sum(1 for _ in state.open_windows()),
    )
    return state


def check_state_source(
    settings: Settings,
    state: PartitionState,
    spec: PipelineSpec,
    changelog: str,
    source: str,
    partition: int,
) -> None:
    """Refuse window state written for another log: its offsets would skip records silently."""
    if state.offset is None:
        state.source = source
        return
    reset = f"run `stream-engine reset` for {spec.pipeline} v{spec.version} or raise its version"
    if state.source is not None and state.source != source:
        raise StateError(
            f"window state in {changelog}[{partition}] was written for topic {state.source!r}, "
            f"not {source!r}: {reset}"
        )
    end = log_end_offset(settings, source, partition)
    if state.offset >= end:
        raise StateError(
            f"window state in {changelog}[{partition}] has processed {source}[{partition}] up "
            f"to offset {state.offset}, but that partition ends at {end} (deleted and "
            f"recreated?): {reset}"
        )
    if state.source is None:
        state.source = source
        state.dirty_wm = True


def run_worker(
    spec: PipelineSpec,
    settings: Settings,
    *,
    metrics_port: int | None = None,
    datadir: Path | None = None,
    runtime: Literal["faust", "kafka"] = "faust",
    run_log: Path | None = None,
    run_log_interval_s: float = 10.0,
) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    # Until Faust installs its handlers, SIGTERM during start-up (preflight, loading
    # reference tables) stops cleanly: nothing has been consumed yet.
    signal.signal(signal.SIGTERM, _stop_during_startup)
    try:
        return _run(
            spec,
            settings,
            metrics_port=metrics_port,
            datadir=datadir,
            runtime=runtime,
            run_log=run_log,
            run_log_interval_s=run_log_interval_s,
        )
    except _StartupStopped:
        log.info("stopped during start-up")
        return 0


class _StartupStopped(Exception):
    pass


def _stop_during_startup(_signum: int, _frame: object) -> None:
    raise _StartupStopped


def _run(
    spec: PipelineSpec,
    settings: Settings,
    *,
    metrics_port: int | None,
    datadir: Path | None,
    runtime: Literal["faust", "kafka"],
    run_log: Path | None = None,
    run_log_interval_s: float = 10.0,
) -> int:
    topology = Topology.build(spec)
    # Endpoints first: /health answers (starting) and /ready says why it is not yet ready
    # while the cluster is checked and reference tables load, which can take minutes.
    metrics = PipelineMetrics(spec.pipeline)
    readiness = Readiness()
    port = (
        metrics_port if metrics_port is not None else (spec.metrics.port or settings.metrics_port)
    )
    server = MetricsServer(metrics.registry, settings.metrics_host, port, ready=readiness.status)
    server.start()
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, server.port)
    created = preflight(spec, settings)
    topology.restore = lambda window, partition: restore_state(settings, spec, window, partition)
    restore_quality_state(topology, settings)
    if created:
        log.info("created topics: %s", ", ".join(created))
    loaders = []
    for name, ref in spec.reference.items():
        loader = ReferenceLoader(settings, topology.tables[name], ref.topic)
        count = loader.catch_up()
        log.info(
            "reference table %s loaded: %d rows from %d records", name, len(loader.table), count
        )
        loader.start()
        loaders.append(loader)
    readiness.references_loaded()
    delivery = Delivery(settings, spec)
    tables = TableDelivery.from_spec(spec)  # database and file sinks, if any
    runner = BatchRunner(topology, delivery, metrics, readiness, tables)
    observer = WorkerObserver(spec, settings, metrics, runtime, run_log, run_log_interval_s)
    observer.start()
    extractors = start_extractors(spec, settings)  # postgres sources -> their topics
    try:
        if runtime == "kafka":
            code = KafkaLoop(spec, settings, runner, server.beat).run()
        else:
            from stream_engine.runtime.faust import serve  # faust is slow to import

            workdir = datadir or Path(tempfile.mkdtemp(prefix=f"stream-engine-{spec.pipeline}-"))
            code = serve(spec, settings, runner, server.beat, str(workdir))
    finally:
        observer.close()  # the run log's last line counts the batch finished at shutdown
        for extractor in extractors:
            extractor.close()
        delivery.close()
        if tables is not None:
            tables.close()
        for loader in loaders:
            loader.close()
        server.close()
    totals = runner.totals
    log.info(
        "stopped: in=%d passed=%d filtered=%d dropped=%d dead=%d",
        totals.records_in,
        totals.passed,
        sum(totals.filtered.values()),
        sum(totals.dropped.values()),
        sum(totals.dead.values()),
    )
    return code
