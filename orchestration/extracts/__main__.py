"""Operator commands for the extract loader: `python -m orchestration.extracts --help`.

python -m orchestration.extracts withdraw --drop crm/2026-02-30 --reason "wrong folder name"
python -m orchestration.extracts readmit
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from orchestration.extracts.readmit import readmit_rejected_rows
from orchestration.extracts.withdraw import NothingToWithdraw, withdraw_drop
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


@app.command()
def withdraw(
    drop: Annotated[
        str, typer.Option(help="The drop: <system>/<drop_id> (crm/2026-02-30), or a drop id.")
    ],
    system: Annotated[
        str | None, typer.Option(help="crm or erp, when --drop is a bare drop id.")
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(help="Only this file, as the ledger names it (crm/2026-03-01/Account.csv)."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why, kept in the ledger.")] = None,
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB warehouse file (default: HANDSHAKE_WAREHOUSE)")
    ] = None,
) -> None:
    """Withdraw a drop's loaded files: the ledger marks them withdrawn, staging ignores their rows.

    The ledger keeps its history (a `withdrawn` row per load); run the refresh
    afterwards so that every table is built as if the drop never came.
    """
    settings = Settings.from_env()
    path = warehouse or settings.warehouse
    try:
        with duckdb.connect(str(path), config=settings.duckdb_config()) as con:
            withdrawn = withdraw_drop(con, drop, system, file, reason)
    except NothingToWithdraw as error:
        typer.echo(f"Nothing withdrawn: {error}", err=True)
        raise typer.Exit(1) from None
    except (ValueError, duckdb.Error) as error:
        typer.echo(f"Nothing withdrawn: {error}", err=True)
        raise typer.Exit(2) from None
    for item in withdrawn:
        typer.echo(f"withdrawn {item.file_path} (load {item.load_id}, {item.rows_loaded} rows)")
    typer.echo(
        f"{len(withdrawn)} load(s) withdrawn in {path}. Run the refresh (or `dbt build`) "
        "to take them out of every table."
    )


if __name__ == "__main__":
    app()
