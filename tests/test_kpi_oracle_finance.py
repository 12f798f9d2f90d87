"""An independent oracle of the finance KPIs, diffed cell by cell.

The finance KPIs (invoiced revenue and margin, cash, unmatched revenue, the
receivables and their ageing buckets, dso, bookings to invoices, recurring
revenue and net revenue retention) are computed again here straight from the
agreed definitions, with SQL written apart from the dbt models: it reads only
the staging layer, marts.dim_account and marts.bridge_account_erp_customer
(account matching), never an intermediate, semantic, fct_ or kpi_ table. Every
(month, grain, kpi_code) cell the KPI tables publish must equal the oracle's:
amounts to the cent, ratios and days to 1e-9, NULL, 0 and a missing row all
different. A second test reconciles the ERP money of every month: each
current invoice line and payment, and each rejected row, is in exactly one of
converted revenue (cash), or a named exception bucket of
marts.fct_erp_amount_exceptions, dated in its document's month.

Conventions the oracle shares with the warehouse (docs/kpi-rules.md): an amount
is converted to the reporting currency at the latest rates on or before its
document date (tests/oracle_fx.py; an amount in it needs none) and rounded to
the cent per line, payment, opportunity or open item; a credit note is negative unless its lines sum below 0 (written negative, read
as written); a payment in its invoice's currency (else converted at the
payment date's rates, to the cent) reduces that invoice from its own date (a
payment ahead of its invoice is a negative item until the invoice is dated);
payments naming no posted document are one unapplied item per named document
(on that document's account when it exists, posted or not), due on their
latest payment date, like an overpayment.

The same oracle, run outside the suite, matched every published cell of the
scale-1 (seed 7) and scale-2 (seed 11) samples, the landing_known,
landing_cash and export_quirks fixtures, and a copy of landing_cash with a
prepayment, a credit note written negative, a cross-currency payment and an
unconvertible one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.oracle_fx import reporting_rates

COMPANY = "(company)"

# Building blocks, as temporary tables on a read-only connection.
SETUP = r"""
create temp table o_months as select distinct month from marts.kpi_company_monthly;
create temp table o_accounts as select account_key from marts.dim_account;
create temp table o_fx as select rate_date, currency_code, rate_to_reporting from reporting_fx;
create temp table o_eur_fx as select rate_date, currency_code, rate_to_eur from staging.stg_erp__fx_rates;

-- the reporting-currency value of one unit of a currency on a day (tests/oracle_fx.py)
create temp macro o_rate(cur, d) as (
    case when cur = getvariable('reporting_currency') then 1::decimal(30, 12) else (
        select f.rate_to_reporting from o_fx f
        where f.currency_code = cur and f.rate_date <= d
        order by f.rate_date desc limit 1) end);

-- the EUR value of one unit of a currency on a day: latest rate on or before it
create temp macro o_eur(cur, d) as (
    case when cur = 'EUR' then 1::decimal(18, 6) else (
        select f.rate_to_eur from o_eur_fx f
        where f.currency_code = cur and f.rate_date <= d
          and f.rate_to_eur > 0
        order by f.rate_date desc limit 1) end);

create temp table o_docs as
select i.invoice_number, i.document_type, i.invoice_date, i.currency_code, i.is_posted,
    coalesce(i.due_date, i.invoice_date) as due_date, i.crm_opportunity_id,
    case when b.is_matched then b.account_key else '-1' end as account_key,
    coalesce(b.is_matched, false) as is_matched,
    o_rate(i.currency_code, i.invoice_date) as rate
from staging.stg_erp__invoices as i
left join marts.bridge_account_erp_customer as b on b.erp_customer_number = i.customer_number;

-- posted lines, signed, converted at the invoice date and rounded per line
create temp table o_lines as
with signed as (
    select l.invoice_number, l.item_code, l.net_amount, l.cost_amount, d.*,
        date_trunc('month', d.invoice_date)::date as month,
        case when d.document_type = 'invoice' then 1
             when sum(l.net_amount) over (partition by l.invoice_number) < 0 then 1
             else -1 end as sign
    from staging.stg_erp__invoice_lines as l
    join o_docs as d using (invoice_number)
    where d.is_posted)
select *, round(sign * net_amount * rate, 2) as revenue,
    round(sign * net_amount * rate, 2) - round(sign * coalesce(cost_amount, 0) * rate, 2) as margin
from signed;

create temp table o_revenue as select * from o_lines where rate is not null;

-- won, not deleted opportunities on the account that survived a merge
create temp table o_won as
with recursive merged(account_id, survivor, depth) as (
    select account_id, account_id, 0 from staging.stg_crm__accounts
    union all
    select m.account_id, a.master_account_id, m.depth + 1
    from merged as m join staging.stg_crm__accounts as a on a.account_id = m.survivor
    where a.is_deleted and a.master_account_id is not null and m.depth < 10),
survivors as (select account_id, arg_max(survivor, depth) as survivor from merged group by 1)
select o.opportunity_id, o.close_date,
    round(o.amount * o_rate(o.currency_code, o.close_date), 2) as booked,
    coalesce(d.account_key, '-1') as account_key
from staging.stg_crm__opportunities as o
left join survivors as s on s.account_id = o.account_id
left join marts.dim_account as d on d.crm_account_id = s.survivor
where o.is_won and not coalesce(o.is_deleted, false);

create temp table o_grid as select month, account_key from o_months cross join o_accounts;
"""

# One query per KPI family: (month, account_key or COMPANY, kpi_code, value).
KPIS = {
    "invoiced_revenue, gross_margin, gross_margin_pct, unmatched_revenue": r"""
with account as (
    select g.month, g.account_key, coalesce(sum(r.revenue), 0) as revenue,
        coalesce(sum(r.margin), 0) as margin, null as unmatched
    from o_grid as g left join o_revenue as r using (month, account_key) group by all),
company as (
    select m.month, '(company)' as account_key, coalesce(sum(r.revenue), 0) as revenue,
        coalesce(sum(r.margin), 0) as margin,
        coalesce(sum(r.revenue) filter (where not r.is_matched), 0) as unmatched
    from o_months as m left join o_revenue as r using (month) group by all),
both_grains as (select * from account union all select * from company)
select month, account_key, 'invoiced_revenue', revenue from both_grains
union all select month, account_key, 'gross_margin', margin from both_grains
union all select month, account_key, 'gross_margin_pct', margin / nullif(revenue, 0) from both_grains
union all select month, account_key, 'unmatched_revenue', unmatched from company
""",
    "cash_collected": r"""
with payment as (
    select date_trunc('month', p.payment_date)::date as month,
        coalesce(d.account_key, '-1') as account_key,
        round(p.amount * o_rate(p.currency_code, p.payment_date), 2) as cash
    from staging.stg_erp__payments as p left join o_docs as d using (invoice_number))
select g.month, g.account_key, 'cash_collected', coalesce(sum(cash), 0)
from o_grid as g left join payment using (month, account_key) group by all
union all
select m.month, '(company)', 'cash_collected', coalesce(sum(cash), 0)
from o_months as m left join payment using (month) group by all
""",
    "invoiced_on_bookings, invoiced_without_opportunity": r"""
with line as (
    select r.month, r.account_key, r.revenue, w.opportunity_id is not null as on_booking
    from o_revenue as r left join o_won as w on w.opportunity_id = r.crm_opportunity_id),
both_grains as (
    select g.month, g.account_key, line.revenue, line.on_booking
    from o_grid as g left join line using (month, account_key)
    union all
    select m.month, '(company)', line.revenue, line.on_booking
    from o_months as m left join line using (month))
select month, account_key, 'invoiced_on_bookings',
    coalesce(sum(revenue) filter (where on_booking), 0)
from both_grains group by all
union all
select month, account_key, 'invoiced_without_opportunity',
    coalesce(sum(revenue) filter (where not on_booking), 0)
from both_grains group by all
""",
    "booked_not_invoiced": r"""
with backlog as (
    select m.month, w.account_key, greatest(w.booked - coalesce((
        select sum(r.revenue) from o_revenue as r
        where r.crm_opportunity_id = w.opportunity_id
          and r.invoice_date <= last_day(m.month)), 0), 0) as backlog
    from o_months as m join o_won as w on w.close_date <= last_day(m.month)
    where w.booked is not null)
select g.month, g.account_key, 'booked_not_invoiced', coalesce(sum(backlog), 0)
from o_grid as g left join backlog using (month, account_key) group by all
union all
select m.month, '(company)', 'booked_not_invoiced', coalesce(sum(backlog), 0)
from o_months as m left join backlog using (month) group by all
""",
    "recurring_revenue, net_revenue_retention": r"""
with recurring as (
    select r.month, r.account_key, r.revenue
    from o_revenue as r join staging.stg_erp__items as i on i.item_code = r.item_code
    where i.is_recurring),
account_month as (
    select month, account_key, sum(revenue) as revenue from recurring
    where account_key <> '-1' group by all),
windows as (
    select m.month, a.account_key,
        coalesce(sum(a.revenue) filter (
            where a.month between m.month - interval 11 month and m.month), 0) as current,
        coalesce(sum(a.revenue) filter (
            where a.month between m.month - interval 23 month and m.month - interval 12 month), 0)
            as base
    from o_months as m join account_month as a on a.month <= m.month group by all)
select g.month, g.account_key, 'recurring_revenue', coalesce(sum(revenue), 0)
from o_grid as g left join recurring using (month, account_key) group by all
union all
select m.month, '(company)', 'recurring_revenue', coalesce(sum(revenue), 0)
from o_months as m left join recurring using (month) group by all
union all
select g.month, g.account_key, 'net_revenue_retention',
    case when w.base > 0 then w.current / w.base end
from o_grid as g left join windows as w using (month, account_key)
union all
select m.month, '(company)', 'net_revenue_retention',
    sum(w.current) filter (where w.base > 0) / nullif(sum(w.base) filter (where w.base > 0), 0)
from o_months as m left join windows as w using (month) group by all
""",
    "receivables_open, receivables_overdue (and buckets), dso": r"""
with month_end as (select month, last_day(month) as month_end from o_months),
document as (
    select d.invoice_number, d.document_type, d.invoice_date, d.due_date, d.currency_code,
        d.account_key, coalesce(sum(l.sign * l.net_amount), 0) as amount
    from o_docs as d left join o_lines as l using (invoice_number)
    where d.is_posted group by all),
payment as (
    select p.invoice_number, p.payment_date, p.amount, p.currency_code,
        -- the account of the document it names, posted or not
        coalesce(d.account_key, named.account_key) as account_key,
        case when p.currency_code = d.currency_code then p.amount
             -- at the payment date's rates, whatever the reporting currency
             else round(p.amount * o_eur(p.currency_code, p.payment_date)
                        / o_eur(d.currency_code, p.payment_date), 2)::decimal(18, 6)
        end as applied
    from staging.stg_erp__payments as p
    left join (select * from o_docs where is_posted) as d using (invoice_number)
    left join o_docs as named on named.invoice_number = p.invoice_number),
document_item as (
    -- a document from its date; a payment on it from the payment's date (paid ahead: negative)
    select e.month, e.month_end, d.document_type, d.currency_code, d.account_key, d.due_date,
        case when d.invoice_date <= e.month_end then d.amount else 0 end
            - coalesce(sum(p.applied), 0) as balance,
        max(p.payment_date) as last_payment
    from month_end as e
    cross join document as d
    left join payment as p
        on p.invoice_number = d.invoice_number and p.applied is not null
        and p.payment_date <= e.month_end
    group by e.month, e.month_end, d.invoice_number, d.document_type, d.currency_code,
        d.account_key, d.due_date, d.amount, d.invoice_date),
item as (
    -- an overpaid invoice is due on its latest payment date
    select month, month_end, currency_code, account_key, balance,
        case when balance < 0 and document_type = 'invoice' and last_payment is not null
             then last_payment else due_date end as due_date
    from document_item where balance <> 0
    union all
    -- payments naming no posted document, or not convertible to its currency
    select e.month, e.month_end, p.currency_code, coalesce(p.account_key, '-1'),
        -sum(p.amount), max(p.payment_date)
    from month_end as e join payment as p
        on p.applied is null and p.payment_date <= e.month_end
    group by e.month, e.month_end, p.currency_code, coalesce(p.account_key, '-1'), p.invoice_number),
converted as (
    select month, account_key, round(balance * o_rate(currency_code, month_end), 2) as open,
        datediff('day', due_date, month_end) as days_past_due
    from item),
revenue_3_months as (
    select m.month, r.account_key, sum(r.revenue) as revenue
    from o_months as m join o_revenue as r
        on r.month between m.month - interval 2 month and m.month
    group by all),
both_grains as (
    select g.month, g.account_key, c.open, c.days_past_due
    from o_grid as g left join converted as c using (month, account_key)
    union all
    select m.month, '(company)', c.open, c.days_past_due
    from o_months as m left join converted as c using (month)),
totals as (
    select month, account_key, coalesce(sum(open), 0) as open,
        coalesce(sum(open) filter (where days_past_due >= 1), 0) as overdue,
        coalesce(sum(open) filter (where days_past_due between 1 and 30), 0) as d1_30,
        coalesce(sum(open) filter (where days_past_due between 31 and 60), 0) as d31_60,
        coalesce(sum(open) filter (where days_past_due between 61 and 90), 0) as d61_90,
        coalesce(sum(open) filter (where days_past_due > 90), 0) as d90
    from both_grains group by all),  -- an item without a month-end rate counts nowhere
with_revenue as (
    select t.*, (
        select sum(r.revenue) from revenue_3_months as r
        where r.month = t.month and (t.account_key = '(company)' or r.account_key = t.account_key)
    ) as revenue
    from totals as t)
select month, account_key, 'receivables_open', open from with_revenue
union all select month, account_key, 'receivables_overdue', overdue from with_revenue
union all select month, account_key, 'receivables_overdue_1_30', d1_30 from with_revenue
union all select month, account_key, 'receivables_overdue_31_60', d31_60 from with_revenue
union all select month, account_key, 'receivables_overdue_61_90', d61_90 from with_revenue
union all select month, account_key, 'receivables_overdue_over_90', d90 from with_revenue
union all
select month, account_key, 'dso', open / nullif(revenue, 0)
    * datediff('day', month - interval 2 month, month + interval 1 month)
from with_revenue
""",
}

RATIOS = ("gross_margin_pct", "dso", "net_revenue_retention")


@pytest.fixture(scope="module")
def oracle(sample_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    reporting_rates(con)  # the sample's reporting currency, EUR
    con.execute(SETUP)
    yield con
    con.close()


def cells(con: duckdb.DuckDBPyConnection, family_sql: str) -> list[tuple]:
    return con.execute(
        f"""
        with expected(month, account_key, kpi_code, value) as ({family_sql}),
        published as (
            select month, '(company)' as account_key, kpi_code, value
            from marts.kpi_company_monthly
            union all
            select month, account_key, kpi_code, value from marts.kpi_account_monthly),
        compared as (
            select month, account_key, kpi_code, e.value::double as expected,
                p.value::double as published, e.kpi_code is null as not_expected,
                p.kpi_code is null as not_published
            from expected as e
            full join (select * from published
                       where kpi_code in (select distinct kpi_code from expected)) as p
                using (month, account_key, kpi_code))
        select month, account_key, kpi_code, expected, published from compared
        where not_expected or not_published
            or (expected is null) <> (published is null)
            or abs(expected - published) >= case when kpi_code in {RATIOS} then 1e-9 else 0.005 end
        order by kpi_code, month, account_key
        """
    ).fetchall()


@pytest.mark.parametrize("family", list(KPIS))
def test_every_published_cell_equals_the_oracle(
    oracle: duckdb.DuckDBPyConnection, family: str
) -> None:
    published_codes = {
        code
        for (code,) in oracle.execute(
            "select distinct kpi_code from marts.kpi_company_monthly"
        ).fetchall()
    }
    family_codes = {c.strip() for c in family.replace("(and buckets)", "").split(",")}
    assert family_codes <= published_codes
    diff = cells(oracle, KPIS[family])
    assert diff == [], (
        f"{len(diff)} cells differ (month, account, kpi, oracle, published): {diff[:10]}"
    )


def test_the_oracle_covers_every_published_month_and_account(
    oracle: duckdb.DuckDBPyConnection,
) -> None:
    # the KPI tables are dense: every account in every published month
    accounts, months = oracle.execute(
        "select count(distinct account_key), count(distinct month) from marts.kpi_account_monthly "
        "where kpi_code = 'invoiced_revenue'"
    ).fetchone()
    assert (accounts, months) == oracle.execute(
        "select (select count(*) from o_accounts), (select count(*) from o_months)"
    ).fetchone()
    assert oracle.execute("select count(*) from o_revenue").fetchone()[0] > 0


MONEY_BY_MONTH = r"""
with rejected as (
    -- rejected rows keep their amount in their raw values, keyed by the file's column names
    select r.source_object, r.raw_values,
        list_filter(json_keys(r.raw_values),
            lambda k: regexp_replace(lower(trim(k)), '[^a-z0-9]+', '_', 'g') = 'invoice_number')[1] as number_key,
        list_filter(json_keys(r.raw_values),
            lambda k: regexp_replace(lower(trim(k)), '[^a-z0-9]+', '_', 'g') in ('net_amount', 'amount'))[1] as amount_key
    from staging.stg_raw_meta__load_rejects as r
    where r.source_system = 'erp' and r.source_object in ('invoice_lines', 'payments')
      and r.readmitted_at is null
      -- the row did not load, or loaded without its amount
      and (r.reject_action = 'row_rejected'
           or list_has_any(string_split(r.reject_fields, ','), ['net_amount', 'amount']))),
rejected_text as (
    select source_object, json_extract_string(raw_values, '$."' || number_key || '"') as invoice_number,
        json_extract_string(raw_values, '$."' || amount_key || '"') as amount_text
    from rejected),
rejected_amount as (
    select source_object, invoice_number, coalesce(try_cast(amount_text as decimal(38, 6)),
        try_cast(try_cast(amount_text as double) as decimal(38, 6))) as amount  -- 1e11
    from rejected_text),
rows_ as (
    -- every current line and every rejected line, in its document's month and currency
    select 'invoice_lines' as source_object, l.net_amount as amount,
        date_trunc('month', d.invoice_date)::date as month,
        coalesce(d.currency_code, 'UNKNOWN') as currency_code,
        d.is_posted and d.rate is not null as is_converted
    from staging.stg_erp__invoice_lines as l left join o_docs as d using (invoice_number)
    union all
    select 'payments', p.amount, date_trunc('month', p.payment_date)::date, p.currency_code,
        o_rate(p.currency_code, p.payment_date) is not null
    from staging.stg_erp__payments as p
    union all
    select 'invoice_lines', r.amount, date_trunc('month', d.invoice_date)::date,
        coalesce(d.currency_code, 'UNKNOWN'), false
    from rejected_amount as r left join o_docs as d using (invoice_number)
    where r.source_object = 'invoice_lines'),
staged as (
    select source_object, month, currency_code, sum(amount) as total,
        coalesce(sum(amount) filter (where is_converted), 0) as converted
    from rows_ group by all),
exceptions as (
    select source_object, date_trunc('month', document_date)::date as month, currency_code,
        sum(amount_as_written) as exceptions
    from marts.fct_erp_amount_exceptions
    where source_object = 'invoice_lines' or exception_bucket <> 'rejected_row'
    group by all)
select s.source_object, s.month, s.currency_code, s.total, s.converted, e.exceptions
from staged as s full join exceptions as e
    on e.source_object = s.source_object and e.month is not distinct from s.month
    and e.currency_code = s.currency_code
where s.total is distinct from s.converted + coalesce(e.exceptions, 0)
"""


def test_every_erp_amount_of_a_month_is_converted_or_in_one_exception_bucket(
    oracle: duckdb.DuckDBPyConnection,
) -> None:
    """Per month and currency: current invoice lines and payments and rejected invoice
    lines, as written = converted + the named exception buckets of that month (a rejected
    line of a loaded invoice is dated by it; rejected payments, undated, are left out).
    Converted money in the reporting currency is the month's invoiced_revenue and
    cash_collected."""
    assert oracle.execute(MONEY_BY_MONTH).fetchall() == []
    assert oracle.execute(
        "select count(*) - count(distinct exception_key) from marts.fct_erp_amount_exceptions"
    ).fetchone() == (0,)
    converted = r"""
    with expected as (
        select month, 'invoiced_revenue' as kpi_code, sum(revenue) as value
        from o_revenue group by all
        union all
        select date_trunc('month', payment_date)::date, 'cash_collected',
            sum(round(amount * o_rate(currency_code, payment_date), 2))
        from staging.stg_erp__payments
        where o_rate(currency_code, payment_date) is not null group by all)
    select * from expected as e join marts.kpi_company_monthly as k using (month, kpi_code)
    where abs(e.value - k.value) >= 0.005"""
    assert oracle.execute(converted).fetchall() == []
