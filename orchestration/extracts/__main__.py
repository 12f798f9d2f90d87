"""Operator commands for the extract loader: `python -m orchestration.extracts --help`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from orchestration.extracts.readmit import readmit_rejected_rows
from orchestration.settings import Settings

app = typer.Typer(help="Operator commands for the extract loader.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Operator commands for the extract loader."""


@app.command()
def readmit(
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB warehouse file (default: HANDSHAKE_WAREHOUSE)")
    ] = None,
) -> None:
    """Load rows rejected only for an unmapped forecast category, after the mapping seed was extended.

    Validates those rejected rows again from the raw values kept in
    raw_meta.load_rejects (no file is delivered again) and loads the ones that
    now pass; run the refresh afterwards so that dbt builds them.
    """
    settings = Settings.from_env()
    path = warehouse or settings.warehouse
    with duckdb.connect(str(path), config=settings.duckdb_config()) as con:
        results = readmit_rejected_rows(con)
    if not results:
        typer.echo("no rejected rows to re-admit")
    for result in results:
        typer.echo(
            f"{result.file_path}: {result.readmitted} row(s) re-admitted, "
            f"{result.still_rejected} still rejected"
        )


if __name__ == "__main__":
    app()
