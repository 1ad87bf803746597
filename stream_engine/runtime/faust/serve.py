"""Run the Faust worker until SIGTERM; mode's Worker owns the event loop."""

from __future__ import annotations

from collections.abc import Callable

from faust import Worker

from stream_engine.runtime.faust.app import build_app
from stream_engine.runtime.runner import BatchRunner
from stream_engine.settings import Settings
from stream_engine.spec import PipelineSpec


def serve(
    spec: PipelineSpec,
    settings: Settings,
    runner: BatchRunner,
    heartbeat: Callable[[], None],
    datadir: str,
) -> int:
    app = build_app(spec, settings, runner, heartbeat, datadir)
    worker = Worker(app, loglevel=settings.log_level.lower(), quiet=True, override_logging=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0
