"""Producing events: example data generators (the application SDK comes next)."""
