"""`handshake-sample-extracts`: write the sample company's extracts (or one daily drop).

handshake-sample-extracts --scale 1 --seed 42 --drops 6
python -m orchestration.sample_extracts --landing-dir /tmp/landing --scale 0.05 --clean
handshake-sample-extracts --daily-drop --landing-dir data/landing
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from orchestration.company_settings import company_dir_for
from orchestration.sample_extracts import params
from orchestration.sample_extracts.daily import write_daily_drop
from orchestration.sample_extracts.generator import generate, write_company_settings
from orchestration.sample_extracts.plan import FORMATS, Options, make_plan
from orchestration.settings import Settings

PROG = "handshake-sample-extracts"


class FileFormat(StrEnum):
    """The landing layout's file formats."""

    csv = "csv"
    parquet = "parquet"


assert tuple(FileFormat) == FORMATS


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def write_samples(
    landing_dir: Annotated[
        Path | None,
        typer.Option(help="landing folder (default: $HANDSHAKE_LANDING_DIR or data/landing)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    scale: Annotated[float, typer.Option(help="size; 1 = 2,000 accounts")] = 1.0,
    drops: Annotated[int, typer.Option(help="number of monthly drops")] = params.DEFAULT_DROPS,
    clean: Annotated[bool, typer.Option("--clean", help="write no messy rows at all")] = False,
    mess_rate: Annotated[
        float, typer.Option(help="base rate of each kind of mess")
    ] = params.DEFAULT_MESS_RATE,
    fmt: Annotated[FileFormat, typer.Option("--format", help="file format")] = FileFormat.csv,
    start: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="first day of the history (default: --end minus 3 years plus a day)",
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help=f"last day of the history ({params.DEFAULT_END})"),
    ] = None,
    wipe: Annotated[
        bool,
        typer.Option("--wipe", help="delete the landing folder's crm/ and erp/ drops first"),
    ] = False,
    daily_drop: Annotated[
        bool,
        typer.Option(
            "--daily-drop",
            help="instead of the history, add ONE daily delta drop (the day after the landing "
            "folder's last drop, about 1% new or changed rows) to drops written before",
        ),
    ] = False,
    company_dir: Annotated[
        Path | None,
        typer.Option(
            help="where to write the sample company's settings files (bookings targets, manual "
            "account matches); default: $HANDSHAKE_COMPANY_DIR, else `company` beside the "
            "landing folder"
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress output")] = False,
) -> None:
    """Write deterministic sample CRM and ERP extracts in the landing layout."""
    landing = landing_dir or Settings.from_env().landing_dir
    if daily_drop:
        if wipe:
            raise typer.BadParameter("--daily-drop adds to the landing folder's drops: no --wipe")
        try:
            write_daily_drop(landing, quiet=quiet)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
        return
    options = Options(
        landing_dir=landing,
        seed=seed,
        scale=scale,
        drops=drops,
        clean=clean,
        mess_rate=mess_rate,
        fmt=fmt.value,
        start=_day(start),
        end=_day(end),
        quiet=quiet,
        wipe=wipe,
    )
    try:
        make_plan(options)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    generate(options)
    settings_dir = company_dir or (
        Settings.from_env().company_dir
        if os.environ.get("HANDSHAKE_COMPANY_DIR")
        else company_dir_for(landing)
    )
    for path in write_company_settings(settings_dir):
        if not quiet:
            typer.echo(f"wrote the sample company's settings {path}", err=True)


app = typer.Typer(add_completion=False)
app.command(name=PROG)(write_samples)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI (argv: its arguments); 0 when it succeeded, SystemExit(2) on a usage error."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name=PROG)
    except SystemExit as finished:
        if finished.code:
            raise
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
