"""``python -m orchestration.extracts``: operate on the loaded extracts.

    python -m orchestration.extracts withdraw --drop crm/2026-02-30 --reason "wrong folder name"

then run the refresh (or `dbt build`): the KPIs are as if the drop never came.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from orchestration.extracts.withdraw import NothingToWithdraw, withdraw_drop
from orchestration.settings import Settings

app = typer.Typer(help="Operate on the loaded extracts (see the README's Operations section).")


@app.callback()
def main() -> None:
    """Operate on the loaded extracts."""


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
        Path | None, typer.Option(help="The DuckDB warehouse (default: HANDSHAKE_WAREHOUSE).")
    ] = None,
) -> None:
    """Withdraw a drop's loaded files: the ledger marks them withdrawn, staging ignores their rows."""
    path = warehouse or Settings.from_env().warehouse
    try:
        with duckdb.connect(str(path)) as con:
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
        f"{len(withdrawn)} file(s) withdrawn in {path}. Run the refresh (or `dbt build`) "
        "to take them out of every table."
    )


if __name__ == "__main__":
    app()
