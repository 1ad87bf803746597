"""Sources and sinks that move data in and out of stream-engine."""
