"""Handshake's Dagster code location (`dagster job execute -m orchestration -j refresh_warehouse`)."""

from orchestration.definitions import defs

__all__ = ["defs"]
