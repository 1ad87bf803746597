"""The live worker on Faust agents (the only package that imports faust)."""

from stream_engine.runtime.faust.serve import serve

__all__ = ["serve"]
