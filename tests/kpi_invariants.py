"""The published KPI tables agree with each other at every grain (one set of numbers).

`breaks(con)` checks a built warehouse against the identities the agreed
definitions imply and returns one line per break (empty: none):

- additive account KPIs: the company value = the sum over kpi_account_monthly,
  the unknown member (account_key '-1', unmatched ERP customers) included, to
  the cent, every month; unmatched_revenue = the unknown member's
  invoiced_revenue (a month without unmatched revenue too: 0, not a missing row);
- every dim_account row, the unknown member too, has its row of every account
  KPI in every month kpi_company_monthly publishes;
- the company value = the sum over top-level teams and the reps in no team
  (top-level users who manage nobody, owners in no User row) of every additive
  team KPI also published per rep (open_pipeline, bookings, quota, the
  forecasts); a team's bookings and open_pipeline = the sum over its
  members' rep rows, its quota = its head's own, else its direct reports' teams';
- the company value = the sum over reps for the KPIs whose rep value is a
  share of the company's (bookings, open_pipeline, weighted_pipeline,
  calibrated_sales_forecast);
- open pipeline by forecast category: the three categories add up to
  open_pipeline in every month it is published for, each with its row;
- ratios recomputed from their published parts at every grain, NULL for a
  zero or NULL denominator; the part-KPIs that split another add up;
- no month after the month of the latest drop's extraction date (a drop id
  with its time too), in the KPI tables and the forecast categories'.
"""

from __future__ import annotations

import math

import duckdb

CENT = 0.005

# Rep values that are the rep's share of the company value (sales_forecast and
# quota are not: a Team call or a manager's quota replaces its reports' values).
REP_SHARES = ("bookings", "open_pipeline", "weighted_pipeline", "calibrated_sales_forecast")

# (code, numerator, denominator, formula over n and d, grains) as the registry defines them.
RATIOS = (
    ("gross_margin_pct", "gross_margin", "invoiced_revenue", "n / d", ("company", "account")),
    ("quota_attainment", "bookings", "quota", "n / d", ("company", "team", "rep")),
    (
        "forecast_accuracy_sales",
        "sales_forecast",
        "bookings",
        "1 - abs(d - n) / d",
        ("company", "team", "rep"),
    ),
    (
        "forecast_bias_sales",
        "sales_forecast",
        "bookings",
        "(n - d) / d",
        ("company", "team", "rep"),
    ),
    ("pipeline_coverage", "open_pipeline", "quota", "n / d", ("company",)),
    ("forecast_haircut_pct", "finance_forecast", "sales_forecast", "1 - n / d", ("company",)),
    (
        "forecast_accuracy_finance",
        "finance_forecast",
        "bookings",
        "1 - abs(d - n) / d",
        ("company",),
    ),
    (
        "forecast_accuracy_calibrated",
        "calibrated_sales_forecast",
        "bookings",
        "1 - abs(d - n) / d",
        ("company",),
    ),
    (
        "forecast_accuracy_relationship",
        "relationship_forecast",
        "bookings",
        "1 - abs(d - n) / d",
        ("company",),
    ),
)

TABLES = {
    "company": ("kpi_company_monthly", ["month"]),
    "account": ("kpi_account_monthly", ["month", "account_key"]),
    "team": ("kpi_team_monthly", ["month", "team_key"]),
    "rep": ("kpi_rep_monthly", ["month", "sales_rep_key"]),
}


def _differ(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > CENT


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _company(con: duckdb.DuckDBPyConnection) -> dict[tuple, float | None]:
    sql = "select month, kpi_code, value from marts.kpi_company_monthly"
    return {(m, k): v for m, k, v in _rows(con, sql)}


def _sums_against_company(
    con: duckdb.DuckDBPyConnection, label: str, codes: list[str], sums_sql: str
) -> list[str]:
    """Company value against `sums_sql` (month, kpi_code, sum, count of values, count of
    rows) per code. Rows that are all NULL are no data at that grain (the account grain
    while customers were never delivered: the company value stands): nothing to add up."""
    company = _company(con)
    sums = {(m, k): (s, n, rows) for m, k, s, n, rows in _rows(con, sums_sql)}
    out = []
    for (month, code), value in sorted(company.items()):
        if code not in codes:
            continue
        total, count, rows = sums.get((month, code), (None, 0, 0))
        if rows and not count:
            continue
        if _differ(value, total):
            out.append(f"{label} {code} {month}: company {value} != {total}")
    return out


def additive_account_breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    codes = [
        code
        for (code,) in _rows(
            con,
            "select distinct k.kpi_code from marts.kpi_account_monthly as k "
            "join marts.kpi_definitions as d using (kpi_code) where d.unit = 'currency'",
        )
    ]
    out = _sums_against_company(
        con,
        "accounts + unknown member",
        codes,
        "select month, kpi_code, sum(value), count(value), count(*) from marts.kpi_account_monthly group by all",
    )
    unmatched = _rows(
        con,
        """
        select company.month, company.value, unknown.value, unknown.account_key is not null
        from marts.kpi_company_monthly as company
        left join marts.kpi_account_monthly as unknown
            on company.month = unknown.month
            and unknown.account_key = '-1'
            and unknown.kpi_code = 'invoiced_revenue'
        where company.kpi_code = 'unmatched_revenue'
        order by 1
        """,
    )
    out += [
        f"unmatched_revenue {month}: {value} != unknown member's invoiced_revenue {unknown}"
        for month, value, unknown, has_row in unmatched
        # a NULL row: the account grain is unknown (customers never delivered)
        if not has_row or (unknown is not None and _differ(value, unknown))
    ]
    return out


def account_grid_breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    missing = _rows(
        con,
        """
        with
        months as (select distinct month from marts.kpi_company_monthly),
        codes as (select distinct kpi_code from marts.kpi_account_monthly)
        select months.month, accounts.account_key, count(*)
        from months
        cross join marts.dim_account as accounts
        cross join codes
        anti join marts.kpi_account_monthly as kpi
            on kpi.month = months.month
            and kpi.account_key = accounts.account_key
            and kpi.kpi_code = codes.kpi_code
        group by all
        order by all
        """,
    )
    return [f"account {a} {m}: {n} account KPIs without a row" for m, a, n in missing]


def team_breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A team is a manager's (dim_sales_team): a top-level user who manages nobody, and
    an owner in no User row, head none, and their rep values are their whole subtree's.
    So the company = the top-level teams + the reps in no team, for the additive team
    KPIs published at rep grain too (the flows are not: the dbt test
    assert_pipeline_flow_identities holds them to open_pipeline and bookings)."""
    codes = [
        code
        for (code,) in _rows(
            con,
            "select distinct k.kpi_code from marts.kpi_team_monthly as k "
            "join marts.kpi_definitions as d using (kpi_code) where d.unit = 'currency' "
            "and k.kpi_code in (select kpi_code from marts.kpi_rep_monthly)",
        )
    ]
    out = _sums_against_company(
        con,
        "top-level teams + reps in no team",
        codes,
        """
        with parts as (
            select kpi.month, kpi.kpi_code, kpi.value
            from marts.kpi_team_monthly as kpi
            inner join marts.dim_sales_team as team on kpi.team_key = team.team_key
            where team.is_top_level
            union all
            select kpi.month, kpi.kpi_code, kpi.value
            from marts.kpi_rep_monthly as kpi
            where
                kpi.sales_rep_key not in (
                    select member.sales_rep_key
                    from marts.bridge_sales_team_member as member
                    inner join marts.dim_sales_team as team on member.team_key = team.team_key
                )
                and exists (select 1 from marts.dim_sales_team)
        )
        select month, kpi_code, sum(value), count(value), count(*) from parts group by all
        """,
    )
    members = _rows(
        con,
        """
        with members as (
            select rep.month, member.team_key, rep.kpi_code, sum(rep.value) as value
            from marts.kpi_rep_monthly as rep
            inner join marts.bridge_sales_team_member as member
                on rep.sales_rep_key = member.sales_rep_key
            where rep.kpi_code in ('bookings', 'open_pipeline')
            group by all
        )
        select team.month, team.team_key, team.kpi_code, team.value, members.value
        from marts.kpi_team_monthly as team
        left join members using (month, team_key, kpi_code)
        where team.kpi_code in ('bookings', 'open_pipeline')
        order by all
        """,
    )
    out += [
        f"team {t} {code} {m}: {v} != its members' {s}"
        for m, t, code, v, s in members
        if _differ(v, s)
    ]
    # quota(team) = the head's own ForecastingQuota (its rep value) if any, else the sum
    # over direct reports of their team's quota (their own, for one who heads none)
    quotas = _rows(
        con,
        """
        with
        team as (select month, team_key, value from marts.kpi_team_monthly where kpi_code = 'quota'),
        rep as (select month, sales_rep_key, value from marts.kpi_rep_monthly where kpi_code = 'quota'),
        reports as (
            select team.month, team.team_key, sum(coalesce(report_team.value, report.value)) as value
            from team
            inner join marts.bridge_sales_team_member as direct
                on team.team_key = direct.team_key and direct.distance = 1
            left join team as report_team
                on direct.sales_rep_key = report_team.team_key and team.month = report_team.month
            left join rep as report
                on direct.sales_rep_key = report.sales_rep_key and team.month = report.month
            group by all
        )
        select team.month, team.team_key, team.value, coalesce(head.value, reports.value)
        from team
        left join rep as head on team.team_key = head.sales_rep_key and team.month = head.month
        left join reports on team.month = reports.month and team.team_key = reports.team_key
        order by all
        """,
    )
    out += [
        f"team {t} quota {m}: {v} != own or its direct reports' {s}"
        for m, t, v, s in quotas
        if _differ(v, s)
    ]
    return out


def rep_breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    published = {c for (c,) in _rows(con, "select distinct kpi_code from marts.kpi_rep_monthly")}
    return _sums_against_company(
        con,
        "reps",
        [c for c in REP_SHARES if c in published],
        "select month, kpi_code, sum(value), count(value), count(*) from marts.kpi_rep_monthly group by all",
    )


def category_breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    out = _sums_against_company(
        con,
        "forecast categories",
        ["open_pipeline"],
        "select month, kpi_code, sum(value), count(value), count(*) "
        "from marts.kpi_pipeline_category_monthly group by all",
    )
    rows = _rows(
        con,
        """
        select company.month, count(category.forecast_category)
        from marts.kpi_company_monthly as company
        left join marts.kpi_pipeline_category_monthly as category
            on company.month = category.month and category.kpi_code = 'open_pipeline'
        where company.kpi_code = 'open_pipeline' and company.value is not null
        group by all
        having count(category.forecast_category) <> 3
        order by 1
        """,
    )
    out += [f"open_pipeline {m}: {n} forecast category rows, not 3" for m, n in rows]
    return out


def ratio_breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    out = []
    for code, numerator, denominator, formula, grains in RATIOS:
        for grain in grains:
            table, keys = TABLES[grain]
            columns = ", ".join(keys)
            rows = _rows(
                con,
                f"""
                with parts as (
                    select {columns},
                        max(value) filter (where kpi_code = '{code}') as r,
                        max(value) filter (where kpi_code = '{numerator}') as n,
                        max(value) filter (where kpi_code = '{denominator}') as d,
                        count(*) filter (where kpi_code = '{code}') as published
                    from marts.{table}
                    group by all
                )
                select {columns}, r,
                    case when n is not null and d is not null and d <> 0 then {formula} end
                from parts
                where published > 0
                order by all
                """,
            )
            for *key, value, expected in rows:
                if (value is None) != (expected is None) or (
                    value is not None
                    and not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)
                ):
                    out.append(f"{table} {code} {key}: {value} != {formula} = {expected}")
    splits = (
        ("invoiced_revenue", ("invoiced_on_bookings", "invoiced_without_opportunity")),
        (
            "receivables_overdue",
            (
                "receivables_overdue_1_30",
                "receivables_overdue_31_60",
                "receivables_overdue_61_90",
                "receivables_overdue_over_90",
            ),
        ),
    )
    for grain in ("company", "account"):
        table, keys = TABLES[grain]
        for whole, parts in splits:
            codes = ", ".join(f"'{p}'" for p in parts)
            rows = _rows(
                con,
                f"""
                select {", ".join(keys)},
                    max(value) filter (where kpi_code = '{whole}'),
                    sum(value) filter (where kpi_code in ({codes})),
                    count(value) filter (where kpi_code in ({codes}))
                from marts.{table}
                group by all
                order by all
                """,
            )
            for *key, value, total, count in rows:
                # all parts NULL: a source they need was never delivered (invoiced_revenue
                # stands without Opportunity); some but not all: a break
                if count == 0 and value is not None:
                    continue
                if _differ(value, total if count == len(parts) else None):
                    out.append(f"{table} {whole} {key}: {value} != its parts {total}")
        rows = _rows(
            con,
            f"""
            select {", ".join(keys)},
                max(value) filter (where kpi_code = 'relationship_potential_used'),
                max(value) filter (where kpi_code = 'relationship_index')
            from marts.{table}
            group by all
            """,
        )
        for *key, used, index in rows:
            if (used is None) != (index is None) or (
                used is not None and not math.isclose(used, index / 100, rel_tol=1e-12)
            ):
                out.append(f"{table} relationship_potential_used {key}: {used} != {index} / 100")
    return out


def month_breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    (latest,) = con.execute(
        """
        select max(try_cast(left(drop_id, 10) as date)) from raw_meta.load_ledger as ledger
        where ledger.status = 'loaded'
            and not exists (
                select 1 from raw_meta.load_ledger as withdrawal
                where withdrawal.withdraws_load_id = ledger.load_id
            )
        """
    ).fetchone()
    out = []
    for table in [t for t, _ in TABLES.values()] + ["kpi_pipeline_category_monthly"]:
        (last,) = con.execute(f"select max(month) from marts.{table}").fetchone()
        if last is not None and (latest is None or last > latest.replace(day=1)):
            out.append(f"{table}: month {last} after the latest drop's extraction date {latest}")
    return out


def breaks(con: duckdb.DuckDBPyConnection) -> list[str]:
    return (
        additive_account_breaks(con)
        + account_grid_breaks(con)
        + team_breaks(con)
        + rep_breaks(con)
        + category_breaks(con)
        + ratio_breaks(con)
        + month_breaks(con)
    )
