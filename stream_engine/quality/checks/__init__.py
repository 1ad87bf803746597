"""The checks of the quality engine, one kind per module."""
