"""Runtimes that feed the topology: the live Faust worker and bounded replays."""
