"""Writing values and names into SQL text: the one place that quotes them."""

from __future__ import annotations


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (a column or table name as given)."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
