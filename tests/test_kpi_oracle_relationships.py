"""An independent oracle for the relationship and hybrid-selling KPIs.

The KPIs are recomputed here straight from their agreed definitions
(docs/kpi-rules.md), reading only the staging layer, seeds and the account
matching (`marts.dim_account`, `marts.bridge_account_erp_customer`), never
the project's intermediate models, facts or semantic layer, and compared
with every published cell of `marts.kpi_company_monthly` and
`marts.kpi_account_monthly` on the sample company: amounts to the cent,
ratios and indexes to 1e-9, and NULL, 0 and a missing row all differ.

One query per KPI family; each returns (kpi_code, month, account_key, value),
account_key NULL for the company value. Amounts are in the reporting currency
(EUR in the sample; tests/oracle_fx.py), each document's converted amount to the cent as the
amount KPIs publish them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.oracle_fx import reporting_rates

pytestmark = pytest.mark.slow

# What every family reads: the published months, accounts (a merged-away
# account counts for its survivor), each respondent's latest assessment on or
# before month end (latest date, then the higher Id), and per matched account
# and month the posted invoiced revenue and gross margin in the reporting currency at the invoice
# date's rate (credit notes negative; a line without a rate counts nowhere).
COMMON = """
with
months as (
    select distinct month, (month + interval 1 month - interval 1 day)::date as month_end
    from marts.kpi_company_monthly
),
acct as (
    select a.account_id, d.account_key
    from staging.stg_crm__accounts as a
    inner join marts.dim_account as d
        on d.crm_account_id = case when a.is_deleted then a.master_account_id else a.account_id end
),
asm as (
    select
        acct.account_key, r.relationship_assessment_id as id, r.assessment_date, r.respondent,
        r.ladder_rung,
        (r.strategy_discussion_score + r.personal_trust_score + r.extra_time_score
         + r.executive_access_score + r.mutual_value_score) * 2.0 as idx
    from staging.stg_crm__relationship_assessments as r
    inner join acct on r.account_id = acct.account_id
),
latest as (
    select m.month, asm.*
    from months as m inner join asm on asm.assessment_date <= m.month_end
    qualify row_number() over (
        partition by m.month, asm.account_key, asm.respondent
        order by asm.assessment_date desc, asm.id desc
    ) = 1
),
seller as (select * from latest where respondent = 'Seller'),
buyer as (select * from latest where respondent = 'Buyer'),
fx as (select currency_code, rate_date, rate_to_reporting from reporting_fx),  -- tests/oracle_fx.py
doc as (
    select
        i.invoice_number, i.customer_number, i.invoice_date,
        case when i.currency_code = getvariable('reporting_currency') then 1 else fx.rate_to_reporting end as rate,
        -- a credit note reduces revenue; one written negative is read as written
        case when i.document_type = 'credit_note'
            and (select sum(l.net_amount) from staging.stg_erp__invoice_lines as l
                 where l.invoice_number = i.invoice_number) >= 0 then -1 else 1 end as sgn
    from staging.stg_erp__invoices as i
    asof left join fx on i.currency_code = fx.currency_code and i.invoice_date >= fx.rate_date
    where i.is_posted
),
account_finance as (
    select
        b.account_key, date_trunc('month', doc.invoice_date)::date as month,
        sum(doc.sgn * cast(l.net_amount * doc.rate as decimal(18, 2))) as revenue,
        sum(doc.sgn * (cast(l.net_amount * doc.rate as decimal(18, 2))
                       - cast(coalesce(l.cost_amount, 0) * doc.rate as decimal(18, 2)))) as margin
    from staging.stg_erp__invoice_lines as l
    inner join doc using (invoice_number)
    inner join marts.bridge_account_erp_customer as b
        on doc.customer_number = b.erp_customer_number and b.is_matched
    where doc.rate is not null
    group by all
),
trained as (  -- first completed Hybrid or Virtual Selling course per user
    select user_id, min(completed_date) as first_done
    from staging.stg_crm__training_completions
    where course_type in ('Hybrid Selling', 'Virtual Selling')
    group by user_id
)
"""

FAMILIES = {
    # relationship_index, relationship_potential_used, relationship_perception_gap,
    # relationship_capital (account), and respected_advisor_share (company)
    "relationship_index": """
, per_account as (
    select
        m.month, d.account_key, s.idx, s.ladder_rung, s.idx - b.idx as gap,
        case when s.idx is not null then cast(
            coalesce((select sum(f.margin) from account_finance as f where f.account_key = d.account_key
                      and f.month between m.month - interval 11 month and m.month), 0)
            * s.idx / 100 as decimal(18, 2)) end as capital
    from months as m cross join marts.dim_account as d
    left join seller as s on m.month = s.month and d.account_key = s.account_key
    left join buyer as b on m.month = b.month and d.account_key = b.account_key
)
select 'relationship_index', month, account_key, idx from per_account
union all select 'relationship_potential_used', month, account_key, idx / 100 from per_account
union all select 'relationship_perception_gap', month, account_key, gap from per_account
union all select 'relationship_capital', month, account_key, capital from per_account
union all select 'relationship_index', month, null, avg(idx) from per_account group by month
union all select 'relationship_potential_used', month, null, avg(idx) / 100 from per_account group by month
union all select 'relationship_perception_gap', month, null, avg(gap) from per_account group by month
union all select 'relationship_capital', month, null, sum(capital) from per_account group by month
union all select 'respected_advisor_share', month, null,
    count(*) filter (where ladder_rung = 'Respected Advisor') / nullif(count(idx), 0)
    from per_account group by month
""",
    # accounts with invoiced revenue above 0 over the month and the 11 before it,
    # and of those the ones assessed (either respondent) in that window
    "assessed_account_share": """
, selling as (
    select m.month, m.month_end, f.account_key
    from months as m
    inner join account_finance as f on f.month between m.month - interval 11 month and m.month
    group by all having sum(f.revenue) > 0
)
select 'assessed_account_share', m.month, null,
    (select count(*) filter (where exists (
                select 1 from asm where asm.account_key = selling.account_key
                and asm.assessment_date between selling.month - interval 11 month and selling.month_end))
            / nullif(count(*), 0)
     from selling where selling.month = m.month)
from months as m
""",
    # relationship_forecast and forecast_accuracy_relationship: the open
    # pipeline as of the month's first day, each deal x the win rate of its
    # tier (seller rung before the month) over the closes of the 12 months
    # before the month (tier as assessed before each close)
    "relationship_forecast": """
, opp as (
    select o.opportunity_id, o.currency_code, acct.account_key
    from staging.stg_crm__opportunities as o left join acct on o.account_id = acct.account_id
    where not o.is_deleted
),
state as (
    select m.month, h.*, opp.currency_code, opp.account_key
    from months as m
    inner join staging.stg_crm__opportunity_history as h on h.created_at < m.month and not h.is_deleted
    inner join opp using (opportunity_id)
    qualify row_number() over (
        partition by m.month, h.opportunity_id order by h.created_at desc, h.opportunity_history_id desc
    ) = 1
),
sellers as (select * from asm where respondent = 'Seller'),
pipeline as (
    select
        s.month,
        cast(coalesce(s.amount, 0) * case when s.currency_code = getvariable('reporting_currency') then 1 else fx.rate_to_reporting end
             as decimal(18, 2)) as amount,
        coalesce((select a.ladder_rung from sellers as a where a.account_key = s.account_key
                  and a.assessment_date < s.month order by a.assessment_date desc, a.id desc limit 1),
                 'Unassessed') as tier
    from state as s
    asof left join fx on s.currency_code = fx.currency_code and s.close_date >= fx.rate_date
    where s.forecast_category in ('Pipeline', 'Best Case', 'Commit')
        and date_trunc('month', s.close_date) = s.month
        and (s.currency_code = getvariable('reporting_currency') or fx.rate_to_reporting is not null)
),
closes as (
    select
        s.month, s.forecast_category = 'Closed' as won,
        coalesce((select a.ladder_rung from sellers as a where a.account_key = s.account_key
                  and a.assessment_date < s.close_date order by a.assessment_date desc, a.id desc limit 1),
                 'Unassessed') as tier
    from state as s
    where s.close_date >= s.month - interval 12 month and s.close_date < s.month
        and (s.forecast_category = 'Closed' or (s.forecast_category = 'Omitted' and s.stage_name not in (
            select stage_name from staging.stg_crm__opportunity_versions where not is_closed)))
),
win_rate as (select month, tier, avg(won::int) as p from closes group by all),
forecast as (
    select m.month, case
        when not exists (select 1 from pipeline where pipeline.month = m.month) then 0
        else (select sum(cast(pipeline.amount * w.p as decimal(18, 2)))
              from pipeline inner join win_rate as w using (month, tier) where pipeline.month = m.month)
        end as value
    from months as m
),
bookings as (
    select m.month, coalesce((
        select sum(cast(coalesce(o.amount, 0) * case when o.currency_code = getvariable('reporting_currency') then 1 else fx.rate_to_reporting end
                        as decimal(18, 2)))
        from staging.stg_crm__opportunities as o
        asof left join fx on o.currency_code = fx.currency_code and o.close_date >= fx.rate_date
        where not o.is_deleted and o.is_won and date_trunc('month', o.close_date) = m.month
            and (o.currency_code = getvariable('reporting_currency') or fx.rate_to_reporting is not null)), 0) as value
    from months as m
)
select 'relationship_forecast', month, null, value from forecast
union all
select 'forecast_accuracy_relationship', f.month, null, 1 - abs(b.value - f.value) / nullif(b.value, 0)
from forecast as f inner join bookings as b using (month)
""",
    # virtual meetings / meetings with a known mode; a meeting of no known
    # account counts for the unknown account -1
    "virtual_meeting_share": """
, meetings as (
    select coalesce(acct.account_key, '-1') as account_key,
        date_trunc('month', e.activity_date)::date as month, e.meeting_mode = 'Virtual' as virtual
    from staging.stg_crm__events as e left join acct on e.account_id = acct.account_id
    where not e.is_deleted and e.meeting_mode in ('Virtual', 'In Person')
)
select 'virtual_meeting_share', m.month, d.account_key,
    (select count(*) filter (where virtual) / nullif(count(*), 0) from meetings as e
     where e.month = m.month and e.account_key = d.account_key)
from months as m cross join marts.dim_account as d
union all
select 'virtual_meeting_share', m.month, null,
    (select count(*) filter (where virtual) / nullif(count(*), 0) from meetings as e where e.month = m.month)
from months as m
""",
    # trained_rep_share: active users (IsActive now) trained by month end;
    # win_rate_trained / _untrained: closed deals by whether the owner they
    # count for was trained before the CloseDate
    "trained_rep_share": """
, closed as (
    select date_trunc('month', o.close_date)::date as month, o.is_won,
        coalesce(t.first_done < o.close_date, false) as is_trained
    from staging.stg_crm__opportunities as o
    left join trained as t on o.credited_owner_user_id = t.user_id
    where not o.is_deleted and o.is_closed
)
select 'trained_rep_share', m.month, null,
    (select count(*) filter (where t.first_done <= m.month_end) / nullif(count(*), 0)
     from staging.stg_crm__users as u left join trained as t using (user_id) where u.is_active)
from months as m
union all
select 'win_rate_trained', m.month, null,
    (select count(*) filter (where is_won) / nullif(count(*), 0) from closed as c
     where c.month = m.month and c.is_trained)
from months as m
union all
select 'win_rate_untrained', m.month, null,
    (select count(*) filter (where is_won) / nullif(count(*), 0) from closed as c
     where c.month = m.month and not c.is_trained)
from months as m
""",
}

AMOUNTS = {"relationship_capital", "relationship_forecast"}

# A KPI whose source objects have not all been delivered is NULL in every month.
ASSESSMENTS, FINANCE = {"Relationship_Assessment__c"}, {"invoices", "invoice_lines", "customers"}
NEEDS = {
    "relationship_index": ASSESSMENTS,
    "relationship_potential_used": ASSESSMENTS,
    "relationship_perception_gap": ASSESSMENTS,
    "respected_advisor_share": ASSESSMENTS,
    "relationship_capital": ASSESSMENTS | FINANCE,
    "assessed_account_share": ASSESSMENTS | FINANCE,
    "relationship_forecast": ASSESSMENTS | {"Opportunity", "OpportunityHistory"},
    "forecast_accuracy_relationship": ASSESSMENTS | {"Opportunity", "OpportunityHistory"},
    "virtual_meeting_share": {"Event"},
    "trained_rep_share": {"User", "Training_Completion__c"},
    "win_rate_trained": {"Opportunity", "Training_Completion__c"},
    "win_rate_untrained": {"Opportunity", "Training_Completion__c"},
}


def oracle(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, date, str | None], float | None]:
    delivered = {
        name
        for (name,) in con.execute(
            "select distinct source_object from staging.stg_raw_meta__load_ledger "
            "where load_status = 'loaded' and not is_withdrawn"
        ).fetchall()
    }
    cells = {}
    for sql in FAMILIES.values():
        for code, month, account_key, value in con.execute(COMMON + sql).fetchall():
            known = value is not None and NEEDS[code] <= delivered
            cells[code, month, account_key] = float(value) if known else None
    return cells


def published(
    con: duckdb.DuckDBPyConnection, codes: set[str]
) -> dict[tuple[str, date, str | None], float | None]:
    rows = con.execute(
        "select kpi_code, month, null, value from marts.kpi_company_monthly where list_contains(?, kpi_code) "
        "union all select kpi_code, month, account_key, value from marts.kpi_account_monthly "
        "where list_contains(?, kpi_code)",
        [sorted(codes), sorted(codes)],
    ).fetchall()
    return {
        (code, month, key): None if value is None else float(value)
        for code, month, key, value in rows
    }


def differences(warehouse: Path, currency: str = "EUR") -> tuple[dict[str, int], list[tuple]]:
    """Cells checked per KPI, and every cell where oracle and warehouse differ; amounts in
    `currency`, the reporting currency the warehouse was built with."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reporting_rates(con, currency)
        expected = oracle(con)
        actual = published(con, {code for code, _, _ in expected})
    checked: dict[str, int] = {}
    wrong = []
    for cell in sorted(expected.keys() | actual.keys(), key=str):
        checked[cell[0]] = checked.get(cell[0], 0) + 1
        want, got = expected.get(cell, "missing"), actual.get(cell, "missing")
        if isinstance(want, float) and isinstance(got, float):
            same = abs(want - got) < (0.005 if cell[0] in AMOUNTS else 1e-9)
        else:
            same = want == got
        if not same:
            wrong.append((cell, want, got))
    return checked, wrong


KPIS = {
    "relationship_index", "relationship_potential_used", "relationship_perception_gap",
    "relationship_capital", "respected_advisor_share", "assessed_account_share",
    "relationship_forecast", "forecast_accuracy_relationship", "virtual_meeting_share",
    "trained_rep_share", "win_rate_trained", "win_rate_untrained",
}  # fmt: skip


def test_every_published_cell_equals_the_oracle(sample_warehouse: Path) -> None:
    checked, wrong = differences(sample_warehouse)
    assert set(checked) == KPIS
    # the sample exercises the definitions: values, not only NULLs
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        valued = dict(con.execute(
            "select kpi_code, count(value) from marts.kpi_company_monthly where list_contains(?, kpi_code) group by 1",
            [sorted(KPIS)],
        ).fetchall())  # fmt: skip
    assert all(valued.get(code, 0) > 0 for code in KPIS), valued
    assert not wrong, wrong[:20]
