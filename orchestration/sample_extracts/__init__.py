"""Deterministic sample CRM and ERP extracts of a made-up company (see ``generator``)."""

from orchestration.sample_extracts.generator import generate
from orchestration.sample_extracts.plan import Options

__all__ = ["Options", "generate"]
