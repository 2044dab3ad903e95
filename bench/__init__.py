"""Benchmarks (run as modules: python -m bench.dynamodb_load)."""
