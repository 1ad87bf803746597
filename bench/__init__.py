"""Side-by-side throughput benchmark: raw confluent-kafka, Faust, and the stream-engine worker.

Run with `python -m bench.run --help`; the method is described in docs/benchmarks.md.
"""
