"""Helpers that start real backing services (PostgreSQL, Redis) for tests and benchmarks."""
