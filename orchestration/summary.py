"""Print what the last refresh did: rows loaded and rejected, every failed check, a few KPIs.

`make demo` runs this after the job. It opens the warehouse read-only and
reads the checks of the last refresh_warehouse run from the Dagster instance
(DAGSTER_HOME).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from orchestration.extracts.raw_tables import LEDGER_TABLE, REJECTS_TABLE
from orchestration.kpis import RegistryEntry, load_registry
from orchestration.publish import check_publishable, published_database, refusal_message
from orchestration.settings import REPO_ROOT, Settings
from orchestration.warehouse_io import connect

# How a value of each registry unit is printed.
UNIT_FORMATS = {
    "currency": "{:,.0f}",
    "ratio": "{:.1%}",
    "index": "{:.1f}",
    "days": "{:,.0f}",
    "count": "{:,.0f}",
}


def headline_kpis(registry: dict[str, RegistryEntry] | None = None) -> list[RegistryEntry]:
    """The KPIs of the dashboard's overview tiles (registry column dashboard_tiles), in order."""
    entries = (registry or load_registry()).values()
    headline = [entry for entry in entries if entry.tile_position("overview") is not None]
    return sorted(headline, key=lambda entry: (entry.tile_position("overview"), entry.kpi_code))


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def load_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    # A run that failed before its load step (a bad company settings file, a
    # landing folder it could not read) leaves a warehouse without the ledger.
    if not all(_table_exists(con, *table.split(".")) for table in (LEDGER_TABLE, REJECTS_TABLE)):
        return [f"Load ledger: no file loaded into this warehouse yet ({LEDGER_TABLE} is missing)."]
    rows = con.execute(
        f"""
        select status, count(*), sum(rows_loaded), sum(rows_rejected), sum(duplicate_rows)
        from {LEDGER_TABLE} group by status order by status
        """
    ).fetchall()
    lines = ["Load ledger (all runs):"]
    for status, files, loaded, rejected, duplicates in rows:
        lines.append(
            f"  {status:<18} {files:>5} files  {loaded or 0:>11,} rows loaded  "
            f"{rejected or 0:>7,} rejected  {duplicates or 0:>5,} identical duplicates"
        )
    for action, label in (
        ("row_rejected", "rejected rows"),
        ("field_nulled", "fields set to NULL"),
    ):
        reasons = con.execute(
            f"select reason, count(*) from {REJECTS_TABLE} where action = ? "
            "group by reason order by 2 desc",
            [action],
        ).fetchall()
        if reasons:
            lines.append(f"  {label} by reason: " + ", ".join(f"{r} {n:,}" for r, n in reasons))
    # The files refused at their latest attempt: a file refused once and loaded
    # since (a copy that was still being written) is not refused any more, and
    # a file refused every day is one file.
    refused = con.execute(
        f"""
        select file_path, error from (
            select file_path, status, error, row_number() over (
                partition by file_path order by started_at desc, finished_at desc
            ) as attempt
            from {LEDGER_TABLE}
            where status <> 'withdrawn'
        )
        where attempt = 1 and status = 'refused'
        order by file_path
        """
    ).fetchall()
    for path, error in refused[:5]:
        error = error or ""
        lines.append(f"  refused {error if error.startswith(path) else f'{path}: {error}'}")
    if len(refused) > 5:
        lines.append(f"  ... and {len(refused) - 5} more refused files ({LEDGER_TABLE})")
    return lines


REFRESH_JOB = "refresh_warehouse"


def _metadata_text(metadata: dict[str, Any]) -> str:
    """The check's own figures (rows, rates, counts), not dbt's bookkeeping."""
    shown = []
    for key, entry in metadata.items():
        value = getattr(entry, "value", entry)
        if key.startswith("dagster_dbt/") and key != "dagster_dbt/failed_row_count":
            continue
        if key in ("unique_id", "invocation_id", "Execution Duration", "status"):
            continue
        if isinstance(value, float):
            value = f"{value:.4g}"
        text = str(value).replace("\n", "; ")
        shown.append(f"{key.removeprefix('dagster_dbt/')}={text[:160]}")
    return ", ".join(shown)


def last_run(instance: dg.DagsterInstance, job_name: str = REFRESH_JOB) -> dg.DagsterRun | None:
    """The run of the job that finished last (runs started together finish in their pool's order)."""
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=job_name), limit=20)
    if not records:
        return None
    return max(records, key=lambda r: r.end_time or r.create_timestamp.timestamp()).dagster_run


def check_lines(instance: dg.DagsterInstance, job_name: str = REFRESH_JOB) -> list[str]:
    """Every check of the last run of the job: how many passed, and each one that failed."""
    run = last_run(instance, job_name)
    if run is None:
        return [f"Checks: no {job_name} run in this Dagster instance yet."]
    evaluated, failed = run_checks(instance, run.run_id)
    lines = [
        f"Checks of the last {job_name} run ({run.run_id[:8]}, {run.status.value.lower()}): "
        f"{evaluated - len(failed)} passed, {len(failed)} failed" + (":" if failed else ".")
    ]
    lines += [f"  {line}" for line in failed]
    steps = failed_step_lines(instance, run.run_id)
    if not steps and run.status == dg.DagsterRunStatus.FAILURE:
        # failed outside any step: killed (and reclaimed), or it never started
        for event in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE):
            message = event.dagster_event.message if event.dagster_event else None
            steps.append(f"  run failed: {' '.join((message or event.message).split())[:600]}")
    return lines + steps


def failed_step_lines(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """A line per step of the run that failed, with its reason (the error inside Dagster's wrapper).

    A step that failed before its checks (a full disk in the load, the publish
    gate refusing, a failed dbt test) fails no check of its own.
    """
    lines = []
    for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        dagster_event = event.dagster_event
        data = dagster_event.event_specific_data if dagster_event else None
        if data is None:
            continue
        reason = data.user_failure_data.description if data.user_failure_data else None
        error = data.error
        while not reason and error is not None:
            if error.cause is None or error.cls_name != "DagsterExecutionStepExecutionError":
                reason = error.message.strip()
            error = error.cause
        reason = " ".join((reason or "no reason recorded").split())
        lines.append(f"  step {dagster_event.step_key} failed: {reason[:600]}")
    return lines


def run_lineage(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The run, then the run it re-executes, and so on up to the first run: nearest first.

    A run re-executed from a failure (Dagster's "Re-execute from failure")
    runs only the steps that failed: the load, its checks and the ledger rows
    of the steps it reuses belong to the runs before it.
    """
    lineage = [run_id]
    run = instance.get_run_by_id(run_id)
    while run is not None and run.parent_run_id and run.parent_run_id not in lineage:
        lineage.append(run.parent_run_id)
        run = instance.get_run_by_id(run.parent_run_id)
    return lineage


def run_checks(instance: dg.DagsterInstance, run_id: str) -> tuple[int, list[str]]:
    """How many checks a run evaluated so far, and a line per failed one, errors first.

    A line: severity, asset, check name and the check's own figures. The
    summary prints them and the publish step writes them into the published
    run status (marts.publication_status.failed_checks). A run re-executed
    from a failure counts the checks of the steps it reused from the runs it
    re-executes (run_lineage): each check as the nearest run evaluated it.
    """
    evaluations = []
    seen: set[tuple[str, str]] = set()
    for lineage_run in run_lineage(instance, run_id):
        mine = [
            event.dagster_event.event_specific_data
            for event in instance.all_logs(
                lineage_run, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            )
            if event.dagster_event is not None
        ]
        keys = {(e.asset_key.to_user_string(), e.check_name) for e in mine}
        evaluations += [e for e in mine if (e.asset_key.to_user_string(), e.check_name) not in seen]
        seen |= keys
    failed = sorted(
        (e for e in evaluations if not e.passed),
        key=lambda e: (e.severity.value, e.asset_key.to_user_string(), e.check_name),
    )
    lines = []
    for evaluation in failed:
        figures = _metadata_text(dict(evaluation.metadata))
        lines.append(
            f"{evaluation.severity.value:<5} {evaluation.asset_key.to_user_string()} "
            f"{evaluation.check_name}" + (f": {figures}" if figures else "")
        )
    return len(evaluations), lines


def kpi_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    for table in ("kpi_company_monthly", "fct_forecast_company_monthly"):
        if not _table_exists(con, "marts", table):
            return [f"Agreed KPIs: marts.{table} is not built yet."]
    # The dashboard's reporting month: the latest month that was over when the
    # data was extracted.
    month = con.execute(
        "select max(month) from marts.fct_forecast_company_monthly where is_complete_month"
    ).fetchone()[0]
    if month is None:
        return ["Agreed KPIs: no complete month in marts.fct_forecast_company_monthly yet."]
    lines = [f"Agreed KPIs, company, {month:%Y-%m} (marts.kpi_company_monthly):"]
    values = dict(
        con.execute(
            "select kpi_code, value from marts.kpi_company_monthly where month = ?", [month]
        ).fetchall()
    )
    for entry in headline_kpis():
        value = values.get(entry.kpi_code)
        fmt = UNIT_FORMATS.get(entry.unit, "{:,.2f}")
        lines.append(f"  {entry.kpi_code:<24} {'n/a' if value is None else fmt.format(value)}")
    return lines


def team_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Forecast vs quota per team for the latest complete month (marts.sales_team_monthly)."""
    if not _table_exists(con, "marts", "sales_team_monthly"):
        return []
    month = con.execute(
        "select max(month) from marts.fct_forecast_company_monthly "
        "where is_complete_month and bookings_amount > 0"
    ).fetchone()[0]
    if month is None:
        return []
    rows = con.execute(
        """
        select team_path, sales_forecast, calibrated_sales_forecast, quota, bookings,
               quota_attainment
        from marts.sales_team_monthly where month = ? order by team_path
        """,
        [month],
    ).fetchall()
    company = dict(
        con.execute(
            "select kpi_code, value from marts.kpi_company_monthly where month = ?", [month]
        ).fetchall()
    )

    def money(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.0f}"

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    lines = [
        f"Forecast vs quota per team, {month:%Y-%m} (marts.sales_team_monthly):",
        f"  {'team':<44} {'call':>11} {'calibrated':>11} {'quota':>11} {'bookings':>11} {'attain.':>7}",
    ]
    for path, call, calibrated, quota, bookings, attainment in rows:
        lines.append(
            f"  {path[-44:]:<44} {money(call):>11} {money(calibrated):>11} {money(quota):>11} "
            f"{money(bookings):>11} {share(attainment):>7}"
        )
    lines.append(
        f"  {'company':<44} {money(company.get('sales_forecast')):>11} "
        f"{money(company.get('calibrated_sales_forecast')):>11} {money(company.get('quota')):>11} "
        f"{money(company.get('bookings')):>11} {share(company.get('quota_attainment')):>7}"
    )
    return lines


def publication_lines(settings: Settings, last: dg.DagsterRun | None = None) -> list[str]:
    """Whether the refresh is fit to publish, and what the published copy holds.

    `last`: the last refresh run (last_run). When another run published the
    copy, that run did not (it failed, was refused, is still running or left
    the publish step out): BI reads an older copy, and the summary says so.
    """
    lines = []
    problems = check_publishable(
        settings.warehouse, settings.landing_dir, settings.lock_timeout_seconds
    )
    if problems:
        lines.append(refusal_message(problems))
    published = published_database(settings.publish_dir)
    if not published.exists():
        lines.append(f"Published copy for BI: none yet ({published})")
        return lines
    with duckdb.connect(str(published), read_only=True) as con:
        status = con.execute(
            "select published_at, run_id, files_loaded, files_refused, rows_loaded, rows_rejected "
            "from marts.publication_status"
        ).fetchone()
    published_at, run_id, files_loaded, files_refused, rows_loaded, rows_rejected = status
    lines.append(
        f"Published copy for BI: {published}, published {published_at:%Y-%m-%d %H:%M} UTC "
        f"by run {run_id or '(outside Dagster)'}: {files_loaded} files loaded, "
        f"{files_refused} refused, {rows_loaded:,} rows loaded, {rows_rejected:,} rejected"
    )
    if last is not None and last.run_id != run_id:
        run = f"the last {REFRESH_JOB} run ({last.run_id[:8]}, {last.status.value.lower()})"
        if last.status in (
            dg.DagsterRunStatus.SUCCESS,
            dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED,
        ):
            lines.append(
                f"  Stale: {run} published nothing, BI reads this older copy. Why is in that "
                "run's failed checks above and its failed step in the Dagster UI (make ui, "
                "Runs); fix it and run the refresh again."
            )
        else:
            lines.append(f"  {run[0].upper()}{run[1:]} has not published yet: BI reads this copy.")
    return lines


# The backtest of analyses/forecast_methods_error.sql: forecast amount per method and month.
BACKTEST_METHODS = (
    ("sales", "sales_forecast_amount"),
    ("finance", "finance_forecast_amount"),
    ("relationship", "relationship_forecast_amount"),
    ("calibrated", "calibrated_sales_forecast_amount"),
    (
        "calibrated with finance's cut",
        "calibrated_sales_forecast_amount * finance_forecast_amount "
        "/ nullif(sales_forecast_amount, 0)",
    ),
)


def backtest_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """MAPE, WAPE and bias of the five forecast methods over the backtest months."""
    if not _table_exists(con, "marts", "fct_forecast_company_monthly"):
        return []
    lines = []
    for method, forecast in BACKTEST_METHODS:
        row = con.execute(
            # In double precision: one amount times another overflows DuckDB's
            # DECIMAL(18) (the blanket cut applied to the calibrated call).
            f"""
            with amounts as (
                select
                    cast(bookings_amount as double) as bookings_amount,
                    cast(sales_forecast_amount as double) as sales_forecast_amount,
                    cast(finance_forecast_amount as double) as finance_forecast_amount,
                    cast(relationship_forecast_amount as double) as relationship_forecast_amount,
                    cast(calibrated_sales_forecast_amount as double)
                        as calibrated_sales_forecast_amount
                from marts.fct_forecast_company_monthly
                where is_backtest_month
            ),
            backtest as (
                select {forecast} as forecast_amount, bookings_amount from amounts
            )
            select
                count(*),
                avg(abs(forecast_amount - bookings_amount) / bookings_amount),
                sum(abs(forecast_amount - bookings_amount)) / sum(bookings_amount),
                avg((forecast_amount - bookings_amount) / bookings_amount)
            from backtest
            """
        ).fetchone()
        months, mape, wape, bias = row
        if not months:
            return []

        def share(value: float | None, fmt: str) -> str:
            # a method without a forecast in any backtest month has no error
            return "n/a" if value is None else format(value, fmt)

        lines.append(
            f"  {method:<30} {share(mape, '.1%'):>7} {share(wape, '.1%'):>7} "
            f"{share(bias, '+.1%'):>8}"
        )
    return [
        f"Forecast backtest over {months} complete months (analyses/forecast_methods_error.sql):",
        f"  {'method':<30} {'MAPE':>7} {'WAPE':>7} {'bias':>8}",
        *lines,
    ]


def dagster_home() -> Path | None:
    """DAGSTER_HOME, else the repository's dagster_home/ (the one the Makefile sets) if it exists.

    Run by hand from a shell without DAGSTER_HOME, the summary left out every
    check and failed step of the last run, saying nothing.
    """
    home = os.environ.get("DAGSTER_HOME")
    if home:
        return Path(home)
    default = REPO_ROOT / "dagster_home"
    return default if (default / "dagster.yaml").is_file() else None


def main() -> None:
    settings = Settings.from_env()
    lines = ["", "Handshake refresh summary", "=" * 25]
    # While a run writes the warehouse, wait for it as the steps do (up to
    # HANDSHAKE_LOCK_TIMEOUT_SECONDS), saying on stderr which process holds it.
    log = logging.getLogger(__name__)
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler(sys.stderr))
    if Path(settings.warehouse).exists():
        with connect(
            str(settings.warehouse),
            read_only=True,
            timeout_seconds=settings.lock_timeout_seconds,
            log=log,
        ) as con:
            lines += load_lines(con)
            lines += kpi_lines(con)
            lines += team_lines(con)
            lines += backtest_lines(con)
    last = None
    home = dagster_home()
    if home is not None:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            lines += check_lines(instance)
            last = last_run(instance)
    lines += publication_lines(settings, last)
    lines += [
        f"Warehouse: {settings.warehouse}",
        "Dagster UI: make ui, then open http://127.0.0.1:3000",
        "",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
