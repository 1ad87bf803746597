"""The contender processes. Each runs as its own subprocess, configured by environment."""
