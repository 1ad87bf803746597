"""The one exception hierarchy: every error a user can cause derives from StreamEngineError.

The CLI turns any StreamEngineError into a single line on stderr, so messages must be
complete sentences that name the offending file, variable, value or address.
"""


class StreamEngineError(Exception):
    """Root of every error stream-engine raises on purpose."""


class ConfigError(StreamEngineError):
    """Invalid settings, pipeline file, rules file or CLI argument."""


class ToolMissingError(StreamEngineError):
    """An external program (java, mvn) the command needs is not installed."""


class BrokerError(StreamEngineError):
    """The Kafka cluster is unreachable, failed to start, or refused an operation."""


class DecodeError(StreamEngineError):
    """Bytes that cannot be decoded into a record; becomes a `decode` dead letter."""


class ExpressionError(ConfigError):
    """An expression in a filter or map that the safe language rejects."""


class DataSourceError(StreamEngineError):
    """A data file, database table or topic range that cannot be read (corrupt, unreachable)."""


class StateError(StreamEngineError):
    """Stored state that cannot belong to this pipeline's input (reset it to start over)."""
