"""Benchmarks and load tests (scripts, not unit tests)."""
