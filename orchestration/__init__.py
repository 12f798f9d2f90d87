"""Handshake: extracts into DuckDB, dbt models, agreed KPIs.

The Dagster code location is orchestration.definitions (named `handshake` in
pyproject.toml); importing this package loads none of it.
"""
