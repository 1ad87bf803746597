"""The live worker: Faust agents over Kafka (the only package that imports faust)."""

from stream_engine.runtime.faust.worker import run_worker

__all__ = ["run_worker"]
