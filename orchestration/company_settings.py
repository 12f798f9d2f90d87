"""A company's own settings: files an admin fills in, never sample data.

The landing folder holds what the CRM and the ERP extract. What finance and
sales agree on for one company (bookings targets, manual account matches)
lives in the company settings folder, `HANDSHAKE_COMPANY_DIR` (default: the
folder `company` beside the landing folder, so `data/company` for
`data/landing`). The sample generator writes the sample company's settings
there; a real company's landing folder comes with its own folder, and without
one it has no targets (pipeline_coverage is NULL) and no manual matches.

Every refresh copies the files into `raw_company.<name>` (replacing what was
there; a file removed removes its settings). A file with a missing column or a
value that is not of its type fails the refresh with the file, line, column
and reason, so a wrong target never silently counts; so does a file named
almost as a missing settings file (another case, extension or a plural),
so targets saved under a wrong name are never silently left out. Empty templates with the
header of every file: seeds/company_template/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from orchestration.sql_text import quote, sql_literal

SCHEMA = "raw_company"


@dataclass(frozen=True)
class SettingColumn:
    name: str
    type: str  # DuckDB type
    required: bool
    description: str


@dataclass(frozen=True)
class SettingsFile:
    name: str
    description: str
    columns: tuple[SettingColumn, ...]
    key: tuple[str, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def table(self) -> str:
        return f"{SCHEMA}.{self.name}"


SETTINGS_FILES = (
    SettingsFile(
        name="bookings_targets",
        description=(
            "Bookings target per month, jointly agreed by finance and sales: the denominator "
            "of pipeline_coverage. A month without a row has no target (coverage NULL)."
        ),
        columns=(
            SettingColumn("month", "date", True, "First day of the month (YYYY-MM-01)."),
            SettingColumn("bookings_target", "decimal(18, 2)", True, "The agreed target."),
            SettingColumn(
                "currency", "varchar", True, "ISO code of the target's currency (e.g. EUR)."
            ),
        ),
        key=("month",),
    ),
    SettingsFile(
        name="account_match_overrides",
        description=(
            "Manual account matches decided by a person: the first matching rule. One row "
            "per ERP customer."
        ),
        columns=(
            SettingColumn("erp_customer_number", "varchar", True, "ERP customer number."),
            SettingColumn("crm_account_id", "varchar", True, "Salesforce Account Id."),
            SettingColumn("reason", "varchar", False, "Why the link was made by hand."),
            SettingColumn("decided_by", "varchar", False, "Who decided."),
            SettingColumn("decided_on", "date", False, "When (YYYY-MM-DD)."),
        ),
        key=("erp_customer_number",),
    ),
)


class CompanySettingsError(ValueError):
    """A settings file that cannot be used; the message names file, line and reason."""


def company_dir_for(landing_dir: Path) -> Path:
    """The default company settings folder: `company` beside the landing folder.

    Beside the folder as named, as the settings of a run take it
    (orchestration/settings.py): for a landing folder that is a symbolic link
    (data/landing to a share) that is data/company, not beside the link's
    target, where the sample generator wrote the targets the refresh never read.
    A relative path is taken from the working directory.
    """
    # abspath, not resolve: a relative data/landing keeps its link as named too
    return Path(os.path.abspath(Path(landing_dir).expanduser())).parent / "company"


def ensure_company_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the (empty) settings tables if they do not exist."""
    con.execute(f"create schema if not exists {SCHEMA}")
    for settings in SETTINGS_FILES:
        columns = ", ".join(f"{quote(c.name)} {c.type}" for c in settings.columns)
        con.execute(
            f"create table if not exists {settings.table} ({columns}, _source_file varchar)"
        )


def _problems(
    con: duckdb.DuckDBPyConnection, settings: SettingsFile, path: Path
) -> tuple[list[str], str]:
    """(problems, select of the typed rows) for one settings file."""
    read = (
        f"read_csv({sql_literal(str(path))}, all_varchar = true, header = true, "
        "auto_detect = true, null_padding = false)"
    )
    try:
        header = [row[0] for row in con.execute(f"describe select * from {read}").fetchall()]
    except duckdb.Error as error:
        return [f"{path}: not a readable CSV file ({error})"], ""
    by_lower = {name.strip().lower(): name for name in header}
    missing = [c.name for c in settings.columns if c.name not in by_lower]
    if missing:
        return [
            f"{path}: missing column(s) {', '.join(missing)}; expected the header "
            f"{','.join(c.name for c in settings.columns)}"
        ], ""
    typed, checks = [], []
    for column in settings.columns:
        raw = f"nullif(trim({quote(by_lower[column.name])}), '')"
        value = raw if column.type == "varchar" else f"try_cast({raw} as {column.type})"
        typed.append(f"{value} as {quote(column.name)}")
        if column.required:
            checks.append((f"{raw} is null", f"{column.name} is empty (required)"))
        if column.type != "varchar":
            checks.append(
                (f"{raw} is not null and {value} is null", f"{column.name} is not a {column.type}")
            )
    numbered = f"select row_number() over () + 1 as line_number, * from {read}"
    problems = []
    for condition, reason in checks:
        rows = con.execute(
            f"select line_number from ({numbered}) where {condition} order by 1 limit 5"
        ).fetchall()
        problems += [f"{path}, line {row[0]}: {reason}" for row in rows]
    # keys compare as the warehouse compares them: a text key trimmed and in
    # upper case (account matching reads `kn-c005` and `KN-C005 ` as one customer)
    types = {c.name: c.type for c in settings.columns}
    key = ", ".join(
        f"upper({quote(k)})" if types[k] == "varchar" else quote(k) for k in settings.key
    )
    select = f"select {', '.join(typed)} from {read}"
    duplicates = con.execute(
        f"select {key}, count(*) from ({select}) group by all having count(*) > 1 limit 5"
    ).fetchall()
    problems += [
        f"{path}: {'/'.join(settings.key)} {row[:-1]} appears {row[-1]} times" for row in duplicates
    ]
    return problems, select


def _name_meant(path: Path) -> str:
    """The settings name a file's name comes close to (case, extension, spaces, a plural), or ''."""
    stem = path.name.lower().split(".")[0].strip().replace(" ", "_").replace("-", "_")
    for settings in SETTINGS_FILES:
        if stem.rstrip("s") == settings.name.rstrip("s"):
            return settings.name
    return ""


def _misnamed(company_dir: Path, absent: set[str]) -> list[str]:
    """A file named almost as an absent settings file: the refresh would run without it."""
    if not company_dir.is_dir():
        return []
    problems = []
    for path in sorted(company_dir.iterdir()):
        meant = _name_meant(path)
        if path.is_file() and not path.name.startswith(".") and meant in absent:
            problems.append(
                f"{path}: not read, and there is no {meant}.csv, so the refresh would run "
                f"without those settings; save it as CSV named exactly {meant}.csv"
            )
    return problems


def load_company_settings(con: duckdb.DuckDBPyConnection, company_dir: Path) -> dict[str, int]:
    """Replace raw_company.* with the files of `company_dir`; rows per settings file.

    A file that is absent leaves its table empty. Raises CompanySettingsError
    (nothing replaced) when a file cannot be used.
    """
    ensure_company_tables(con)
    plans, problems = [], []
    for settings in SETTINGS_FILES:
        path = company_dir / settings.file_name
        if not path.is_file():
            plans.append((settings, None, path))
            continue
        file_problems, select = _problems(con, settings, path)
        problems += file_problems
        plans.append((settings, select, path))
    absent = {settings.name for settings, _select, path in plans if not path.is_file()}
    problems += _misnamed(company_dir, absent)
    if problems:
        raise CompanySettingsError(
            "company settings cannot be used (fix the file, then refresh again):\n"
            + "\n".join(problems)
        )
    counts = {}
    con.execute("begin transaction")
    try:
        for settings, select, path in plans:
            con.execute(f"delete from {settings.table}")
            if select:
                con.execute(
                    f"insert into {settings.table} select *, {sql_literal(str(path.name))} "
                    f"from ({select})"
                )
            counts[settings.name] = con.execute(
                f"select count(*) from {settings.table}"
            ).fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def write_templates(folder: Path) -> list[Path]:
    """Header-only CSV files, one per settings file (seeds/company_template/ holds them)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for settings in SETTINGS_FILES:
        path = folder / settings.file_name
        if not path.exists():
            path.write_text(",".join(c.name for c in settings.columns) + "\n")
            written.append(path)
    return written


def write_templates_command(
    folder: Annotated[Path, typer.Argument(help="the company settings folder")],
) -> None:
    """Write empty company settings files (the header only) into a folder."""
    for path in write_templates(folder):
        typer.echo(f"wrote {path}")


if __name__ == "__main__":
    typer.run(write_templates_command)
