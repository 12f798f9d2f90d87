"""A daily delta drop on top of a landing folder the generator wrote (``--daily-drop``).

    handshake-sample-extracts --daily-drop --landing-dir data/landing

Reads every drop in the landing folder, takes the current version of each record (a later drop
supersedes the same key, as in the extract contract) and writes ONE new drop, dated the day
after the last one, with what happened on the day in between (about 1% new or changed rows of
the big objects, see the ``DAILY_*`` knobs in :mod:`~orchestration.sample_extracts.params`):

* ERP: new posted invoices with their lines (copied from a recent invoice of the same customer
  at a slightly different price), a few corrected lines of existing invoices (same key, new
  unit price and amount), a few cancelled invoices (``status = cancelled``, the ERP delete), new
  payments of open invoices, the day's FX rates and a corrected GBP rate (of the last GBP
  invoicing day a week or more back), and a customer with new payment terms.
* CRM: open opportunities moving one stage on (the oldest open one among them; Negotiation
  closes won) and new ones, each with its OpportunityHistory row; an opportunity deleted
  (``IsDeleted = true``); new meetings, a changed and a deleted one; an account deleted.

Like the generator it is DuckDB SQL over whole tables (no Python row loops), deterministic:
all randomness is ``u(key, salt)`` seeded by the day the drop covers, so the same landing folder
gives byte-identical files. Records are written as text in the contract's formats, in the
format (CSV or Parquet) the landing folder already uses.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration import progress
from orchestration.extracts import contract
from orchestration.extracts.discovery import DROP_ID_PATTERN
from orchestration.sample_extracts import params
from orchestration.sample_extracts.model import helper_macros_sql
from orchestration.sample_extracts.plan import FORMATS, sql_date, sql_list
from orchestration.sample_extracts.workspace import Summary, connect_workspace, copy_options
from orchestration.sql_text import sql_literal


def existing_drops(landing_dir: Path) -> list[str]:
    """Drop ids of the landing folder (both systems), sorted in time."""
    found = {
        folder.name
        for system in contract.SYSTEMS
        if (landing_dir / system).is_dir()
        for folder in (landing_dir / system).iterdir()
        if folder.is_dir() and DROP_ID_PATTERN.match(folder.name)
    }
    return sorted(found)


def landing_format(landing_dir: Path) -> str:
    """csv or parquet: the format of the landing folder's invoice files."""
    for fmt in FORMATS:
        if any(landing_dir.glob(f"erp/*/invoices.{fmt}")):
            return fmt
    raise ValueError(f"{landing_dir}: no erp invoices file in any drop")


def _read(landing_dir: Path, obj: contract.ExtractObject, fmt: str) -> str:
    """Every row of an object from every drop, as text, with its drop id (`_drop`)."""
    pattern = sql_literal(str(landing_dir / obj.system / "*" / f"{obj.name}.{fmt}"))
    reader = (
        f"read_csv({pattern}, all_varchar = true, header = true, filename = true)"
        if fmt == "csv"
        else f"read_parquet({pattern}, filename = true)"
    )
    return f"select *, split_part(replace(filename, '\\', '/'), '/', -2) as _drop from {reader}"


def current_sql(landing_dir: Path, fmt: str) -> list[str]:
    """A `cur_<object>` table per object: the latest version of each key (text columns)."""
    statements = []
    for obj in contract.OBJECTS:
        key = ", ".join(f'"{k}"' for k in obj.key)
        columns = ", ".join(f'"{c}"' for c in obj.column_names)
        statements.append(
            f"""
            create table cur_{obj.raw_table} as
            select {columns}
            from ({_read(landing_dir, obj, fmt)})
            where regexp_full_match(_drop, '{DROP_ID_PATTERN.pattern[1:-1]}')
            qualify row_number() over (partition by {key} order by _drop desc, {columns}) = 1
            """
        )
    return statements


def _count(share: float, total: str) -> str:
    """SQL: how many records of a kind (at least one) for a share of `total` records."""
    return f"greatest(1, round({share!r} * ({total}))::bigint)"


def _context(day: date) -> dict[str, str]:
    stages = [*params.STAGES, params.WON_STAGE]
    return {
        "day": sql_date(day),
        "day_ts": f"{sql_date(day)}::timestamp",
        "year": str(day.year),
        "business_day": "true" if day.weekday() < 5 else "false",
        "fx_correction_day": sql_date(day - timedelta(days=params.DAILY_FX_CORRECTION_LAG_DAYS)),
        "STAGE_ORDER": sql_list([s[0] for s in stages]),
        "STAGE_PROBS": sql_list([s[1] for s in stages]),
        "STAGE_CATS": sql_list([s[2] for s in stages]),
        "DURATIONS": sql_list(params.MEETING_DURATIONS),
        "FX_DAILY_VOL": repr(params.FX_DAILY_VOL),
        "LINE_CORRECTION": repr(params.DAILY_LINE_CORRECTION),
        "n_new_invoices": _count(
            params.DAILY_NEW_INVOICE_RATE, "select count(*) from cur_invoices"
        ),
        "n_cancelled": _count(params.DAILY_CANCEL_RATE, "select count(*) from cur_invoices"),
        "n_corrected_lines": _count(
            params.DAILY_LINE_CORRECTION_RATE, "select count(*) from cur_invoice_lines"
        ),
        "n_payments": _count(params.DAILY_PAYMENT_RATE, "select count(*) from cur_payments"),
        "n_stage_changes": _count(
            params.DAILY_STAGE_CHANGE_RATE, "select count(*) from cur_opportunity"
        ),
        "n_new_opportunities": _count(
            params.DAILY_NEW_OPPORTUNITY_RATE, "select count(*) from cur_opportunity"
        ),
        "n_new_events": _count(params.DAILY_NEW_EVENT_RATE, "select count(*) from cur_event"),
        "n_changed_events": _count(
            params.DAILY_CHANGED_EVENT_RATE, "select count(*) from cur_event"
        ),
    }


# The day's changes, one table per kind, typed where they compute and text where they copy.
# `{day}` is the day between the last drop and the new one; changes happen in its work hours.
DELTA_SQL = [
    # --- ERP -----------------------------------------------------------------------------------
    """
    create table inv as
    select
        invoice_number, customer_number, document_type, currency, status, crm_opportunity_id,
        try_cast(invoice_date as date) as invoice_date, try_cast(due_date as date) as due_date
    from cur_invoices
    """,
    """
    create table lines as
    select
        invoice_number, try_cast(line_number as bigint) as line_number, item_code,
        try_cast(quantity as decimal(18, 2)) as quantity,
        try_cast(unit_price as decimal(18, 2)) as unit_price,
        try_cast(net_amount as decimal(18, 2)) as net_amount,
        try_cast(cost_amount as decimal(18, 2)) as cost_amount
    from cur_invoice_lines
    """,
    # New invoices: a recent posted invoice of a customer is invoiced again (next subscription
    # period, another milestone) at 85-115% of its price; numbered on from the year's last one.
    """
    create table new_invoices as
    with templates as (
        select
            inv.*,
            row_number() over (order by u(invoice_number, 'daily_template'), invoice_number)
                as k
        from inv
        where document_type = 'invoice' and status = 'posted'
          and invoice_date between {day} - 120 and {day}
          and invoice_number in (select invoice_number from lines)
    ),
    numbering as (
        select coalesce(max(try_cast(split_part(invoice_number, '-', 3) as bigint)), 0) as last_no
        from inv
        where invoice_number like 'INV-{year}-%'
    )
    select
        'INV-{year}-' || lpad((last_no + k)::varchar, 6, '0') as invoice_number,
        templates.invoice_number as template_number,
        customer_number, currency, crm_opportunity_id,
        {day} + coalesce(due_date - invoice_date, 30)::integer as due_date,
        0.85 + 0.3 * u(templates.invoice_number, 'daily_price') as price_factor,
        {day_ts} + work_time(templates.invoice_number, 'daily_created') as ts
    from templates, numbering
    where k <= {n_new_invoices}
    """,
    """
    create table cancelled as
    select invoice_number, {day_ts} + work_time(invoice_number, 'daily_cancel_t') as ts
    from inv
    where document_type = 'invoice' and status = 'posted' and invoice_date >= {day} - 30
    order by u(invoice_number, 'daily_cancel'), invoice_number
    limit {n_cancelled}
    """,
    """
    create table delta_invoices as
    select
        invoice_number, customer_number, 'invoice' as document_type, d_iso({day}) as invoice_date,
        d_iso(due_date) as due_date, currency, 'posted' as status, crm_opportunity_id,
        ts_erp(ts) as updated_at
    from new_invoices
    union all
    select
        cur.invoice_number, cur.customer_number, cur.document_type, cur.invoice_date,
        cur.due_date, cur.currency, 'cancelled', cur.crm_opportunity_id, ts_erp(cancelled.ts)
    from cur_invoices cur join cancelled using (invoice_number)
    """,
    # Lines of the new invoices, and corrected lines (same key, new price) of posted invoices.
    """
    create table delta_invoice_lines as
    with new_lines as (
        select
            n.invoice_number, l.line_number, l.item_code, l.quantity,
            round(l.unit_price * n.price_factor, 2)::decimal(18, 2) as unit_price,
            l.cost_amount * n.price_factor as cost_amount, n.ts
        from new_invoices n join lines l on l.invoice_number = n.template_number
    ),
    corrected as (
        select
            l.invoice_number, l.line_number, l.item_code, l.quantity,
            round(l.unit_price * {LINE_CORRECTION}, 2)::decimal(18, 2) as unit_price,
            l.cost_amount,
            {day_ts} + work_time(l.invoice_number || '#' || l.line_number, 'daily_fix_t') as ts
        from lines l join inv using (invoice_number)
        where inv.status = 'posted' and inv.invoice_date >= {day} - 90
          and l.item_code <> 'SKU-9900' and l.unit_price > 0
          and l.invoice_number not in (select invoice_number from cancelled)
        order by u(l.invoice_number || '#' || l.line_number, 'daily_fix'),
                 l.invoice_number, l.line_number
        limit {n_corrected_lines}
    )
    select
        invoice_number, line_number::varchar as line_number, item_code,
        quantity::varchar as quantity, unit_price::varchar as unit_price,
        (quantity * unit_price)::decimal(18, 2)::varchar as net_amount,
        money(cost_amount)::varchar as cost_amount, ts_erp(ts) as updated_at
    from (select * from new_lines union all select * from corrected)
    """,
    # Payments of open invoices (posted in the last 120 days, unpaid, not cancelled today).
    """
    create table delta_payments as
    with totals as (
        select invoice_number, sum(net_amount) as total from lines group by invoice_number
    ),
    open_invoices as (
        select inv.invoice_number, inv.currency, inv.due_date, totals.total
        from inv join totals using (invoice_number)
        where inv.document_type = 'invoice' and inv.status = 'posted' and totals.total > 0
          and inv.invoice_number not in (select invoice_number from cur_payments)
          and inv.invoice_number not in (select invoice_number from cancelled)
          and inv.invoice_date >= {day} - 120
    ),
    chosen as (
        select
            open_invoices.*,
            row_number() over (order by u(invoice_number, 'daily_pay'), invoice_number) as k
        from open_invoices
        qualify k <= {n_payments}
    ),
    numbering as (
        select coalesce(max(try_cast(substr(payment_id, 5) as bigint)), 0) as last_no
        from cur_payments
    )
    select
        'PAY-' || lpad((last_no + k)::varchar, 8, '0') as payment_id, invoice_number,
        d_iso({day}) as payment_date, total::decimal(18, 2)::varchar as amount, currency
    from chosen, numbering
    """,
    # The day's rates (business days), a walk on from each currency's last rate, and the GBP rate
    # of the last GBP invoicing day a week or more ago corrected by +1% (same key, new value).
    """
    create table delta_fx_rates as
    with rates as (
        select try_cast(rate_date as date) as rate_date, currency,
               try_cast(rate_to_eur as decimal(18, 6)) as rate
        from cur_fx_rates
    ),
    latest as (
        select * from rates where currency in ('USD', 'GBP')
        qualify row_number() over (partition by currency order by rate_date desc) = 1
    ),
    corrected as (
        select * from rates
        where currency = 'GBP' and rate_date <= {fx_correction_day}
          and rate_date in (select invoice_date from inv where currency = 'GBP')
        qualify row_number() over (order by rate_date desc) = 1
    )
    select d_iso({day}) as rate_date, currency,
           round(rate * exp({FX_DAILY_VOL} * nrm(d_iso({day}) || currency, 'fx')), 6)
               ::decimal(18, 6)::varchar as rate_to_eur
    from latest where {business_day}
    union all
    select d_iso({day}), 'EUR', '1.000000' where {business_day}
    union all
    select d_iso(rate_date), currency, round(rate * 1.01, 6)::decimal(18, 6)::varchar
    from corrected
    """,
    """
    create table delta_customers as
    select * replace (
        (coalesce(try_cast(payment_terms_days as integer), 30) + 15)::varchar
            as payment_terms_days,
        ts_erp({day_ts} + work_time(customer_number, 'daily_terms_t')) as updated_at
    )
    from cur_customers
    order by u(customer_number, 'daily_terms'), customer_number
    limit 1
    """,
    # --- CRM -----------------------------------------------------------------------------------
    """
    create table opp as
    select
        cur_opportunity.*,
        list_position({STAGE_ORDER}, StageName) as stage_idx,
        lower(coalesce(IsDeleted, 'false')) = 'true' as deleted,
        lower(IsClosed) = 'true' as closed
    from cur_opportunity
    -- a current version the loader would reject is not copied (the daily drop is clean)
    where StageName is not null and try_cast(CloseDate as date) is not null
    """,
    # One stage on (Negotiation closes won): the oldest open opportunity and a random share.
    """
    create table stage_changes as
    with open_opps as (
        select
            opp.*,
            row_number() over (order by CreatedDate, Id) as age_rank,
            row_number() over (order by u(Id, 'daily_stage'), Id) as pick_rank
        from opp
        where not deleted and not closed and stage_idx between 1 and 4
    )
    select
        open_opps.* exclude (age_rank, pick_rank),
        stage_idx + 1 as new_stage_idx,
        {day_ts} + work_time(Id, 'daily_stage_t') as ts
    from open_opps
    where age_rank = 1 or pick_rank < {n_stage_changes}
    """,
    """
    create table deleted_opps as
    select opp.*, {day_ts} + work_time(Id, 'daily_delete_t') as ts
    from opp
    where not deleted and not closed and Id not in (select Id from stage_changes)
    order by u(Id, 'daily_delete'), Id
    limit 1
    """,
    # New opportunities on the account of an existing one, with its owner and currency.
    """
    create table new_opps as
    with templates as (
        select
            opp.*,
            row_number() over (order by u(Id, 'daily_new_opp'), Id) as k
        from opp
        where not deleted
    ),
    numbering as (
        select max(try_cast(substr(Id, 6, 10) as bigint)) as last_no from cur_opportunity
    )
    select
        sfid('006', last_no + k) as Id, AccountId, OwnerId,
        split_part(Name, ' - ', 1) || ' - Follow-up ' || {year} as Name,
        'Existing Business' as Type, CurrencyIsoCode, LeadSource,
        money(1000 * round(5 + 45 * u(templates.Id, 'daily_amount'))) as amount,
        {day} + (45 + pick(templates.Id, 'daily_close', 90))::integer as close_date,
        {day_ts} + work_time(templates.Id, 'daily_new_t') as ts
    from templates, numbering
    where k <= {n_new_opportunities}
    """,
    # Every opportunity change of the day, typed moment `ts`, fields as the new version has them.
    """
    create table opp_changes as
    select
        Id, AccountId, OwnerId, Name, Type, {STAGE_ORDER}[new_stage_idx] as StageName,
        Amount, CurrencyIsoCode, {STAGE_PROBS}[new_stage_idx]::varchar as Probability,
        case when new_stage_idx = 5 then d_iso({day}) else CloseDate end as CloseDate,
        {STAGE_CATS}[new_stage_idx] as ForecastCategoryName,
        b_txt(new_stage_idx = 5) as IsClosed, b_txt(new_stage_idx = 5) as IsWon, LeadSource,
        CreatedDate, ts, false as deleted
    from stage_changes
    union all
    select
        Id, AccountId, OwnerId, Name, Type, StageName, Amount, CurrencyIsoCode, Probability,
        CloseDate, ForecastCategoryName, IsClosed, IsWon, LeadSource, CreatedDate, ts, true
    from deleted_opps
    union all
    select
        Id, AccountId, OwnerId, Name, Type, {STAGE_ORDER}[1], amount::varchar, CurrencyIsoCode,
        {STAGE_PROBS}[1]::varchar, d_iso(close_date), {STAGE_CATS}[1], 'false', 'false',
        LeadSource, ts_sf(ts, Id), ts, false
    from new_opps
    """,
    """
    create table delta_opportunity as
    select
        opp_changes.* exclude (ts, deleted),
        ts_sf(ts, Id || 'daily') as LastModifiedDate, b_txt(deleted) as IsDeleted
    from opp_changes
    """,
    # A history row for every stage change and new opportunity (deletes write none).
    """
    create table delta_opportunity_history as
    with numbering as (
        select coalesce(max(try_cast(substr(Id, 6, 10) as bigint)), 0) as last_no
        from cur_opportunity_history
    )
    select
        sfid('008', last_no + row_number() over (order by ts, Id)) as Id,
        Id as OpportunityId, StageName, Amount, Probability, CloseDate,
        ForecastCategoryName as ForecastCategory, ts_z(ts) as CreatedDate, OwnerId as CreatedById,
        'false' as IsDeleted
    from opp_changes, numbering
    where not deleted
    """,
    # New meetings (planned 1-14 days ahead) like an existing one; a changed and a deleted one.
    """
    create table ev as
    select
        cur_event.*,
        lower(coalesce(IsDeleted, 'false')) = 'true' as deleted,
        try_cast(ActivityDate as date) as activity_date
    from cur_event
    where try_cast(ActivityDate as date) is not null
      and coalesce(Meeting_Mode__c, 'Virtual') in ('In Person', 'Virtual')
    """,
    """
    create table delta_event as
    with templates as (
        select ev.*, row_number() over (order by u(Id, 'daily_new_event'), Id) as k
        from ev
        where not deleted
    ),
    numbering as (select max(try_cast(substr(Id, 6, 10) as bigint)) as last_no from cur_event),
    recent as (
        select ev.*, row_number() over (order by u(Id, 'daily_event'), Id) as k
        from ev
        where not deleted and activity_date >= {day} - 30
    )
    select
        sfid('00U', last_no + k) as Id, AccountId, OwnerId, Subject, Type, Meeting_Mode__c,
        d_iso({day} + (1 + pick(Id, 'daily_event_day', 14))::integer) as ActivityDate,
        DurationInMinutes, 'false' as IsDeleted
    from templates, numbering
    where k <= {n_new_events}
    union all
    select
        Id, AccountId, OwnerId, Subject, Type,
        case when Meeting_Mode__c = 'Virtual' then 'In Person' else 'Virtual' end,
        ActivityDate, {DURATIONS}[1 + pick(Id, 'daily_duration', 5)]::varchar, 'false'
    from recent
    where k <= {n_changed_events}
    union all
    select Id, AccountId, OwnerId, Subject, Type, Meeting_Mode__c, ActivityDate,
           DurationInMinutes, 'true'
    from recent
    where k = {n_changed_events} + 1
    """,
    # An account deleted in the CRM (a customer with an ERP link: its facts move to unknown).
    """
    create table delta_account as
    select * replace (
        ts_sf({day_ts} + work_time(Id, 'daily_account_t'), Id || 'daily') as LastModifiedDate,
        'true' as IsDeleted
    )
    from cur_account
    where lower(coalesce(IsDeleted, 'false')) = 'false' and ERP_Customer_Number__c is not null
    order by u(Id, 'daily_account'), Id
    limit 1
    """,
]


def write_daily_drop(landing_dir: Path, quiet: bool = False) -> Summary:
    """Write the next drop (the day after the last one) with one day of changes."""
    drops = existing_drops(landing_dir)
    if not drops:
        raise ValueError(f"{landing_dir}: no drops to add a daily drop to")
    last = date.fromisoformat(drops[-1][:10])
    drop_id = (last + timedelta(days=1)).isoformat()
    fmt = landing_format(landing_dir)
    summary = Summary(landing_dir=landing_dir)
    ctx = _context(last)
    with (
        progress.steps(quiet) as run,
        tempfile.TemporaryDirectory(prefix="handshake-daily-") as tmp,
    ):
        run.total(3 + len(contract.OBJECTS))
        con = connect_workspace(Path(tmp), quiet)
        try:
            run.step(f"reading the landing folder's current rows ({len(drops)} drops)")
            con.execute(helper_macros_sql(int(last.strftime("%Y%m%d"))))
            for sql in current_sql(landing_dir, fmt):
                con.execute(sql)
            run.step(f"one day of changes for {drop_id}")
            for sql in DELTA_SQL:
                con.execute(sql.format_map(ctx))
            for obj in contract.OBJECTS:
                run.step(f"writing {obj.system}/{drop_id}/{obj.name}")
                _write_delta(con, landing_dir, drop_id, obj, fmt, summary)
            run.step("done")
        finally:
            con.close()
        summary.seconds = run.elapsed
        run.done(
            f"wrote daily drop {drop_id}: {len(summary.files)} files, {summary.rows:,} rows "
            f"to {landing_dir} in {summary.seconds:.1f}s"
        )
    return summary


def _write_delta(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    drop_id: str,
    obj: contract.ExtractObject,
    fmt: str,
    summary: Summary,
) -> None:
    """Write `delta_<raw table>` as the new drop's file of `obj` (no file without changes)."""
    table = f"delta_{obj.raw_table}"
    found = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [table]
    ).fetchone()
    if not found or not found[0] or not con.execute(f"select count(*) from {table}").fetchone()[0]:
        return
    relative = f"{obj.system}/{drop_id}/{obj.name}.{fmt}"
    target = landing_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f'"{c}"' for c in obj.column_names)
    key = ", ".join(f'"{k}"' for k in obj.key)
    row = con.execute(
        f"copy (select {columns} from {table} order by {key}) "
        f"to {sql_literal(str(target))} {copy_options(fmt)}"
    ).fetchone()
    summary.files.append((relative, int(row[0]) if row else 0))
