"""Benchmarks: load N calls into PostgreSQL and time named queries (see bench/README.md).

``bench.harness`` holds the runner and the registry; each ``bench/queries_*.py`` module
registers the queries of one area with ``@register(...)``.
"""
