"""Run SQL read-only against the working warehouse or the published copy, and print the result.

    .venv/bin/python -m orchestration.query "select * from raw_meta.load_ledger limit 5"
    .venv/bin/python -m orchestration.query --published "select * from marts.publication_status"

The published copy is written for DuckDB 1.4 readers, so the DuckDB CLI that
`make setup` installs (`.venv/bin/duckdb -readonly data/publish/handshake.duckdb`)
opens it. The working warehouse is written by the DuckDB of the pipeline
(2.0), which that CLI cannot read: this command opens it with the pipeline's
own DuckDB. Several statements may be given; the last one's result is printed.
"""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import duckdb
import typer

from orchestration.publish import published_database
from orchestration.settings import Settings


def query(
    sql: Annotated[
        str | None, typer.Argument(help="the SQL (read from standard input when left out)")
    ] = None,
    published: Annotated[
        bool, typer.Option("--published", help="query the published copy, not the warehouse")
    ] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV instead of a table")] = False,
) -> None:
    """Run SQL read-only against the working warehouse or the published copy; print the result."""
    settings = Settings.from_env()
    database = published_database(settings.publish_dir) if published else settings.warehouse
    text = sql if sql is not None else sys.stdin.read()
    with duckdb.connect(str(database), read_only=True) as con:
        result = con.sql(text)
        if result is None:
            return
        if as_csv:
            writer = csv.writer(sys.stdout)
            writer.writerow(result.columns)
            writer.writerows(result.fetchall())
        else:
            result.show(max_width=200, max_rows=200)


# SQL that begins with a comment ("-- ...") is the SQL, not an unknown option.
app = typer.Typer(add_completion=False, context_settings={"ignore_unknown_options": True})
app.command()(query)

if __name__ == "__main__":
    app()
