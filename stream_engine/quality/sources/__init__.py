"""Where `stream-engine validate` reads a whole dataset from: files, a topic range, a table."""

from stream_engine.quality.sources.base import Dataset
from stream_engine.quality.sources.resolve import open_source

__all__ = ["Dataset", "open_source"]
