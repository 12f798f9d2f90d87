"""An independent oracle for the sales, pipeline and forecast KPIs, diffed cell by cell.

Written afresh from the agreed definitions (docs/kpi-rules.md), not from the dbt
models: it reads only the staging layer (latest version per key, typed, Ids
canonical), the company settings, and for its keys marts.dim_account and
marts.dim_sales_rep. Every (month, grain key, kpi_code) cell the KPI tables
publish for these KPIs must equal it: amounts to the cent, ratios and days to
1e-9; NULL, 0 and a missing row are three different answers.

Money: each document amount is converted to the reporting currency (EUR in the
sample) at its document date's rates (the latest on or before it,
tests/oracle_fx.py) and rounded to the cent, then summed
(opportunities at CloseDate, a history row at its own CloseDate, submissions at
Submitted_Date__c, quotas at StartDate, finance versions at version_date).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.oracle_fx import reporting_rates

AMOUNT_TOLERANCE, RATIO_TOLERANCE = 0.005, 1e-9
RATIOS = {
    "win_rate",
    "win_rate_value",
    "avg_sales_cycle_days",
    "slippage_rate",
    "pipeline_coverage",
    "forecast_haircut_pct",
    "forecast_accuracy_sales",
    "forecast_accuracy_finance",
    "forecast_bias_sales",
    "quota_attainment",
    "forecast_accuracy_calibrated",
}


OPPORTUNITY, HISTORY = {"Opportunity"}, {"Opportunity", "OpportunityHistory"}
CALLS_, FPA = {"Forecast_Submission__c"}, {"fpa_forecast"}
# A KPI is NULL in every month while one of these source objects has never been delivered.
NEEDS = {
    "bookings": OPPORTUNITY,
    "win_rate": OPPORTUNITY,
    "win_rate_value": OPPORTUNITY,
    "avg_sales_cycle_days": OPPORTUNITY,
    "quota_attainment": OPPORTUNITY,
    **dict.fromkeys(
        ["open_pipeline", "weighted_pipeline", "slippage_rate", "pipeline_coverage"], HISTORY
    ),
    **{f"pipeline_flow_{bucket}": HISTORY for bucket in ("won", "lost", "pushed", "still_open")},
    "pipeline_flow_won_amount_change": HISTORY,
    "pipeline_flow_added": HISTORY,
    "sales_forecast": CALLS_,
    "sales_forecast_best_case": CALLS_,
    "finance_forecast": FPA,
    "forecast_haircut_pct": CALLS_ | FPA,
    "forecast_accuracy_sales": CALLS_ | OPPORTUNITY,
    "forecast_bias_sales": CALLS_ | OPPORTUNITY,
    "forecast_accuracy_finance": FPA | OPPORTUNITY,
    "calibrated_sales_forecast": CALLS_ | HISTORY,
    "forecast_accuracy_calibrated": CALLS_ | HISTORY,
}


def eur(amount: str, currency: str, rate: str) -> str:
    """SQL: amount in the reporting currency (EUR in the sample; tests/oracle_fx.py) to
    the cent (NULL without a rate), in exact decimals.

    Each branch rounds on its own: a CASE takes the type of its first branch,
    decimal(38, 6), so rounding the CASE would round the product to 6 places
    first (7212.5649997 -> 7212.565 -> 7212.57 instead of 7212.56)."""
    return (
        f"case when {currency} = getvariable('reporting_currency') then round({amount}::decimal(38, 6), 2)"
        f" when {rate} is not null then round({amount}::decimal(38, 6) * {rate}, 2) end"
    )


# The facts every family reads: not deleted deals, their history, and each deal's
# state as of 00:00 UTC on the first day of every published month (and the next).
# A deal counts for one rep in every KPI: the owner it had when it closed (staging's
# credited owner), its current owner while open; so a hand-over after the close moves
# neither its bookings nor its opening pipeline, and the flow identities hold per team.
BASE = f"""
create temp table months as select distinct month from w.marts.kpi_company_monthly;
create temp table delivered as
select distinct source_object as object from w.staging.stg_raw_meta__load_ledger
where load_status = 'loaded' and not is_withdrawn;
create temp table fx as select currency_code, rate_date, rate_to_reporting from reporting_fx;
create temp table opp as
select o.*, {eur("coalesce(o.amount, 0)", "o.currency_code", "f.rate_to_reporting")} as amount_eur
from w.staging.stg_crm__opportunities o
asof left join fx f on f.currency_code = o.currency_code and o.close_date >= f.rate_date
where not coalesce(o.is_deleted, false);
create temp table booked as
select date_trunc('month', close_date) as month, opportunity_id, credited_owner_user_id as rep,
       account_id, coalesce(amount_eur, 0) as amount_eur
from opp where is_won;
create temp table hist as
select h.opportunity_history_id, h.opportunity_id, h.created_at, h.close_date, h.forecast_category,
       o.credited_owner_user_id as rep,
       {eur("coalesce(h.amount, 0)", "o.currency_code", "f.rate_to_reporting")} as amount_eur,
       {eur("coalesce(h.amount, 0)::decimal(38, 6) * coalesce(h.probability, 0) * 0.01", "o.currency_code", "f.rate_to_reporting")}
         as weighted_eur
from w.staging.stg_crm__opportunity_history h
join opp o using (opportunity_id)
asof left join fx f on f.currency_code = o.currency_code and h.close_date >= f.rate_date
where not coalesce(h.is_deleted, false);
create temp table snap as
select m.month as as_of, h.*
from (select month from months union select max(month) + interval 1 month from months) m
join hist h on h.created_at < m.month
qualify row_number() over (partition by m.month, h.opportunity_id
                           order by h.created_at desc, h.opportunity_history_id desc) = 1;
"""

# open_pipeline, weighted_pipeline (and the category split): open then, closing in the month.
# A deal is in the set by its state; an amount without an FX rate counts 0 (here and in bookings),
# so a won deal whose booking or opening amount has no rate is still won, not still open or added.
OPEN_PIPELINE = """
create temp table opening as
select s.as_of as month, s.opportunity_id, s.rep, s.forecast_category,
       coalesce(s.amount_eur, 0) as amount_eur, coalesce(s.weighted_eur, 0) as weighted_eur
from snap s join months m on m.month = s.as_of
where s.forecast_category in ('Pipeline', 'Best Case', 'Commit')
  and date_trunc('month', s.close_date) = s.as_of;
"""

# pipeline_flow_*, slippage_rate: each opening deal, its booking in M and its state on M+1's 1st
PIPELINE_FLOW = """
create temp table flow as
select o.month, o.opportunity_id, o.rep, o.amount_eur as opening, k.amount_eur as booked,
       case when k.amount_eur is not null then 'won'
            when n.forecast_category = 'Omitted' then 'lost'
            when n.close_date >= o.month + interval 1 month then 'pushed'
            else 'still_open' end as bucket,
       k.amount_eur is null and n.close_date >= o.month + interval 1 month as slipped
from opening o
left join booked k on k.opportunity_id = o.opportunity_id and k.month = o.month
left join snap n on n.opportunity_id = o.opportunity_id and n.as_of = o.month + interval 1 month;
create temp table added as
select k.* from booked k
where not exists (select 1 from opening o where o.month = k.month and o.opportunity_id = k.opportunity_id);
"""

# sales_forecast(_best_case): of record = latest per user, scope and category dated before the month
CALLS = f"""
create temp table subs as
select s.owner_user_id as u, date_trunc('month', s.period_month) as month, s.forecast_category as cat,
       coalesce(s.forecast_scope, 'Own') as scope,
       {eur("s.amount", "s.currency_code", "f.rate_to_reporting")} as amount_eur
from w.staging.stg_crm__forecast_submissions s
asof left join fx f on f.currency_code = s.currency_code and s.submitted_date >= f.rate_date
where s.submitted_at < date_trunc('month', s.period_month)
qualify row_number() over (partition by s.owner_user_id, date_trunc('month', s.period_month), s.forecast_category,
                                        coalesce(s.forecast_scope, 'Own')
                           order by s.submitted_at desc, s.forecast_submission_id desc) = 1;
create temp table own as select u, month, cat, amount_eur from subs where scope = 'Own' and amount_eur is not null;
-- without User no hierarchy is known: a Team call would add to the calls it replaces
create temp table tcall as select u, month, cat, amount_eur from subs
where scope = 'Team' and amount_eur is not null and 'User' in (select object from delivered);
-- call(head) = sum over its subtree of each member's Team call (else own call), leaving out the
-- members below a Team call at or under head (that call replaces their roll-up)
create temp table calls as
select s.head, c.month, c.cat, sum(coalesce(t.amount_eur, o.amount_eur)) as call
from sub s cross join (select distinct month, cat from subs) c
left join tcall t on t.u = s.member and t.month = c.month and t.cat = c.cat
left join own o on o.u = s.member and o.month = c.month and o.cat = c.cat
where not exists (
  select 1 from sub a join sub b on b.member = a.head
  join tcall t2 on t2.u = a.head and t2.month = c.month and t2.cat = c.cat
  where a.member = s.member and a.head <> s.member and b.head = s.head)
group by all;
"""

# quota: a user's ForecastingQuota replaces their reports' roll-up, as a Team call does
QUOTA = f"""
create temp table fq as
select q.quota_owner_user_id as u, date_trunc('month', q.month) as month,
       {eur("q.quota_amount", "q.currency_code", "f.rate_to_reporting")} as amount_eur
from w.staging.stg_crm__forecasting_quotas q
asof left join fx f on f.currency_code = q.currency_code and q.month >= f.rate_date;
delete from fq where amount_eur is null;
create temp table quotas as
select s.head, q.month, sum(q.amount_eur) as quota
from sub s join fq q on q.u = s.member
where not exists (
  select 1 from sub a join sub b on b.member = a.head
  join fq q2 on q2.u = a.head and q2.month = q.month
  where a.member = s.member and a.head <> s.member and b.head = s.head)
group by all;
-- company: the sum over top-level users; while ForecastingQuota has never been delivered the
-- bookings target of the month (at the rate of its first day); while User has never been
-- delivered (no hierarchy) the target, else the sum of the rep quotas
create temp table company_quota as
with targets as (
  select t.month, {eur("t.bookings_target", "t.currency", "f.rate_to_reporting")} as target
  from w.staging.stg_company__bookings_targets t
  asof left join fx f on f.currency_code = t.currency and t.month >= f.rate_date),
tree as (select month, sum(quota) as quota from quotas join tops on tops.user_id = quotas.head group by all)
select m.month,
       case when 'ForecastingQuota' not in (select object from delivered) then target
            when 'User' not in (select object from delivered) then coalesce(target, quota)
            else quota end as quota
from months m left join targets using (month) left join tree using (month);
"""

# calibrated_sales_forecast: own Commit call x k(r, M), bookings as the history knew them on M's 1st
CALIBRATED = """
create temp table known_bookings as
select as_of, rep, date_trunc('month', close_date) as month,
       sum(amount_eur) as b
from snap where forecast_category = 'Closed' and amount_eur is not null group by all;
create temp table track as
select m.month, o.u as rep, o.amount_eur as c, coalesce(k.b, 0) as b
from months m join own o on o.cat = 'Commit'
  and o.month >= m.month - interval 12 month and o.month < m.month
left join known_bookings k on k.as_of = m.month and k.rep = o.u and k.month = o.month;
create temp table calib as
with r as (select month, rep, count(*) as n, sum(b) as b, sum(c) as c from track group by all),
     co as (select month, sum(b) as b, sum(c) as c from track group by all)
select o.month, o.u as rep,
       round(o.amount_eur * case when r.n >= 3 and r.c <> 0 then r.b / r.c
                                 when co.c <> 0 then co.b / co.c else 1 end, 2) as cal
from own o left join r on r.month = o.month and r.rep = o.u left join co on co.month = o.month
where o.cat = 'Commit';
"""

# finance_forecast: latest version dated before the month (a same-day revision: the later one)
FINANCE_FORECAST = f"""
create temp table ff as
with v as (
  select *, date_trunc('month', period_month) as month from w.staging.stg_erp__fpa_forecasts
  where version_date < date_trunc('month', period_month)
  qualify row_number() over (partition by month, version_date, currency_code
                             order by first_drop_id desc, forecast_id desc) = 1
), of_record as (select * from v qualify version_date = max(version_date) over (partition by month))
select l.month, sum({eur("l.bookings_forecast", "l.currency_code", "x.rate_to_reporting")}) as ff
from of_record l
asof left join fx x on x.currency_code = l.currency_code and l.version_date >= x.rate_date
group by all;
"""

COMPANY = """
with b as (select m.month, coalesce(sum(k.amount_eur), 0) as bookings
           from months m left join booked k using (month) group by all),
closed as (
  select date_trunc('month', close_date) as month,
         count(*) filter (where is_won) / count(*) as win_rate,
         coalesce(sum(amount_eur) filter (where is_won), 0) / nullif(sum(amount_eur), 0) as win_rate_value,
         avg(close_date - cast(created_at as date)) filter (where is_won) as avg_sales_cycle_days
  from opp where is_closed group by all),
op as (select m.month, coalesce(sum(o.amount_eur), 0) as open_pipeline,
              coalesce(sum(o.weighted_eur), 0) as weighted_pipeline
       from months m left join opening o using (month) group by all),
fl as (select m.month,
         coalesce(sum(opening) filter (where bucket = 'won'), 0) as pipeline_flow_won,
         coalesce(sum(opening) filter (where bucket = 'lost'), 0) as pipeline_flow_lost,
         coalesce(sum(opening) filter (where bucket = 'pushed'), 0) as pipeline_flow_pushed,
         coalesce(sum(opening) filter (where bucket = 'still_open'), 0) as pipeline_flow_still_open,
         coalesce(sum(booked - opening) filter (where bucket = 'won'), 0) as pipeline_flow_won_amount_change,
         coalesce(sum(opening) filter (where slipped), 0) as slipped
       from months m left join flow using (month) group by all),
ad as (select m.month, coalesce(sum(a.amount_eur), 0) as pipeline_flow_added
       from months m left join added a using (month) group by all),
sf as (select month, sum(call) filter (where cat = 'Commit') as sales_forecast,
              sum(call) filter (where cat = 'Best Case') as sales_forecast_best_case
       from calls join tops on tops.user_id = calls.head group by all),
cal as (select month, sum(cal) as calibrated_sales_forecast from calib group by all)
select m.month, bookings, win_rate, win_rate_value, avg_sales_cycle_days, open_pipeline, weighted_pipeline,
  slipped / nullif(open_pipeline, 0) as slippage_rate, open_pipeline / nullif(quota, 0) as pipeline_coverage,
  pipeline_flow_won, pipeline_flow_lost, pipeline_flow_pushed, pipeline_flow_still_open,
  pipeline_flow_won_amount_change, pipeline_flow_added, sales_forecast, sales_forecast_best_case,
  ff as finance_forecast, 1 - ff / nullif(sales_forecast, 0) as forecast_haircut_pct,
  1 - abs(bookings - sales_forecast) / nullif(bookings, 0) as forecast_accuracy_sales,
  1 - abs(bookings - ff) / nullif(bookings, 0) as forecast_accuracy_finance,
  (sales_forecast - bookings) / nullif(bookings, 0) as forecast_bias_sales,
  quota, bookings / nullif(quota, 0) as quota_attainment, calibrated_sales_forecast,
  1 - abs(bookings - calibrated_sales_forecast) / nullif(bookings, 0) as forecast_accuracy_calibrated
from months m left join b using (month) left join closed using (month) left join op using (month)
left join fl using (month) left join ad using (month) left join sf using (month) left join ff using (month)
left join company_quota using (month) left join cal using (month)
"""

PIPELINE_CATEGORY = """
select m.month, c.cat, coalesce(sum(o.amount_eur), 0) as open_pipeline
from months m cross join (values ('Commit'), ('Best Case'), ('Pipeline')) c (cat)
left join opening o on o.month = m.month and o.forecast_category = c.cat group by all
"""

TEAM = """
with g as (select head, month from teams cross join months),
b as (select s.head, k.month, sum(k.amount_eur) as bookings from sub s join booked k on k.rep = s.member group by all),
op as (select s.head, o.month, sum(o.amount_eur) as open_pipeline
       from sub s join opening o on o.rep = s.member group by all),
fl as (select s.head, f.month,
         sum(opening) filter (where bucket = 'won') as pipeline_flow_won,
         sum(opening) filter (where bucket = 'lost') as pipeline_flow_lost,
         sum(opening) filter (where bucket = 'pushed') as pipeline_flow_pushed,
         sum(opening) filter (where bucket = 'still_open') as pipeline_flow_still_open,
         sum(booked - opening) filter (where bucket = 'won') as pipeline_flow_won_amount_change
       from sub s join flow f on f.rep = s.member group by all),
ad as (select s.head, a.month, sum(a.amount_eur) as pipeline_flow_added
       from sub s join added a on a.rep = s.member group by all),
sf as (select head, month, sum(call) filter (where cat = 'Commit') as sales_forecast,
              sum(call) filter (where cat = 'Best Case') as sales_forecast_best_case from calls group by all),
cal as (select s.head, c.month, sum(c.cal) as calibrated_sales_forecast
        from sub s join calib c on c.rep = s.member group by all)
select g.head, g.month, coalesce(bookings, 0) as bookings, coalesce(open_pipeline, 0) as open_pipeline,
  coalesce(pipeline_flow_won, 0) as pipeline_flow_won, coalesce(pipeline_flow_lost, 0) as pipeline_flow_lost,
  coalesce(pipeline_flow_pushed, 0) as pipeline_flow_pushed,
  coalesce(pipeline_flow_still_open, 0) as pipeline_flow_still_open,
  coalesce(pipeline_flow_won_amount_change, 0) as pipeline_flow_won_amount_change,
  coalesce(pipeline_flow_added, 0) as pipeline_flow_added, sales_forecast, sales_forecast_best_case,
  1 - abs(coalesce(bookings, 0) - sales_forecast) / nullif(bookings, 0) as forecast_accuracy_sales,
  (sales_forecast - coalesce(bookings, 0)) / nullif(bookings, 0) as forecast_bias_sales,
  quota, coalesce(bookings, 0) / nullif(quota, 0) as quota_attainment, calibrated_sales_forecast
from g left join b using (head, month) left join op using (head, month) left join fl using (head, month)
left join ad using (head, month) left join sf using (head, month) left join quotas using (head, month)
left join cal using (head, month)
"""

REP = """
with g as (select rep, month from (select user_id as rep from mgr union select '-1') cross join months),
b as (select rep, month, sum(amount_eur) as bookings from booked group by all),
wr as (select credited_owner_user_id as rep, date_trunc('month', close_date) as month,
              count(*) filter (where is_won) / count(*) as win_rate
       from opp where is_closed group by all),
op as (select rep, month, sum(amount_eur) as open_pipeline,
              sum(weighted_eur) as weighted_pipeline from opening group by all),
ow as (select u as rep, month, sum(amount_eur) filter (where cat = 'Commit') as sales_forecast,
              sum(amount_eur) filter (where cat = 'Best Case') as sales_forecast_best_case
       from own group by all)
select g.rep, g.month, coalesce(bookings, 0) as bookings, win_rate,
  coalesce(open_pipeline, 0) as open_pipeline, coalesce(weighted_pipeline, 0) as weighted_pipeline,
  sales_forecast, sales_forecast_best_case,
  1 - abs(coalesce(bookings, 0) - sales_forecast) / nullif(bookings, 0) as forecast_accuracy_sales,
  (sales_forecast - coalesce(bookings, 0)) / nullif(bookings, 0) as forecast_bias_sales,
  fq.amount_eur as quota, coalesce(bookings, 0) / nullif(fq.amount_eur, 0) as quota_attainment,
  cal as calibrated_sales_forecast
from g left join b using (rep, month) left join wr using (rep, month) left join op using (rep, month)
left join ow using (rep, month) left join fq on fq.u = g.rep and fq.month = g.month
left join calib c using (rep, month)
"""

# bookings, win_rate per account: a deal of an account merged away counts for the survivor,
# one of an account deleted without a merge (or unknown) for the unknown account -1
ACCOUNT = """
with acct as (
  select a.account_id, coalesce(d.account_key, '-1') as account_key
  from w.staging.stg_crm__accounts a
  left join w.marts.dim_account d
    on d.crm_account_id = case when a.is_deleted then a.master_account_id else a.account_id end),
o as (select coalesce(acct.account_key, '-1') as account_key, opp.* from opp left join acct using (account_id)),
b as (select account_key, date_trunc('month', close_date) as month, sum(amount_eur) as bookings
      from o where is_won and amount_eur is not null group by all),
wr as (select account_key, date_trunc('month', close_date) as month,
              count(*) filter (where is_won) / count(*) as win_rate
       from o where is_closed group by all)
select d.account_key, m.month, coalesce(bookings, 0) as bookings, win_rate
from w.marts.dim_account d cross join months m
left join b on b.account_key = d.account_key and b.month = m.month
left join wr on wr.account_key = d.account_key and wr.month = m.month
"""


def hierarchy(con: duckdb.DuckDBPyConnection) -> None:
    """mgr(user_id, manager_id) from the current User records (a ManagerId naming no User, or the
    one of a cycle's member with the smallest user id, is no manager; an owner in no User row is a
    top-level rep of their own), and sub(head, member): every member of head's subtree, head too."""
    users = con.execute("select user_id, manager_user_id from w.staging.stg_crm__users").fetchall()
    known = {user for user, _ in users}
    manager = {user: (m if m in known else None) for user, m in users}
    for start in sorted(known):
        seen, user = [], start
        while user is not None and user not in seen:
            seen.append(user)
            user = manager[user]
        if user is not None:  # on a cycle
            cycle = seen[seen.index(user) :]
            manager[min(cycle)] = None
    owners = con.execute(
        """select owner_user_id from w.staging.stg_crm__opportunities
           union select credited_owner_user_id from w.staging.stg_crm__opportunities
           union select owner_user_id from w.staging.stg_crm__forecast_submissions
           union select quota_owner_user_id from w.staging.stg_crm__forecasting_quotas"""
    ).fetchall()
    for (owner,) in owners:
        manager.setdefault(owner, None)
    con.execute("create temp table mgr (user_id varchar, manager_id varchar)")
    con.executemany("insert into mgr values (?, ?)", list(manager.items()))
    con.execute(
        """create temp table sub as
           with recursive c (head, member) as (
             select user_id, user_id from mgr
             union all select c.head, m.user_id from c join mgr m on m.manager_id = c.member)
           select * from c;
           create temp table teams as select distinct manager_id as head from mgr where manager_id is not null;
           create temp table tops as select user_id from mgr where manager_id is null;"""
    )


def oracle(warehouse: Path, currency: str = "EUR") -> dict[str, tuple[dict, dict]]:
    """Per grain: (oracle cells, published cells of the same KPIs); amounts in `currency`,
    the reporting currency the warehouse was built with."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as w (read_only)")
    reporting_rates(con, currency, schema="w.staging")
    con.execute(BASE)
    hierarchy(con)
    for family in (OPEN_PIPELINE, PIPELINE_FLOW, CALLS, QUOTA, CALIBRATED, FINANCE_FORECAST):
        con.execute(family)
    rep_key = dict(
        con.execute("select user_id, sales_rep_key from w.marts.dim_sales_rep").fetchall()
    )

    def by_user(found: dict) -> dict:
        return {
            ((rep_key.get(user, user), month), code): v
            for ((user, month), code), v in found.items()
        }

    def published(sql: str) -> dict:
        return {(tuple(row[:-2]), row[-2]): row[-1] for row in con.execute(sql).fetchall()}

    delivered = {row[0] for row in con.execute("select object from delivered").fetchall()}

    def cells(sql: str, keys: int) -> dict:
        """{((key, ...), kpi_code): value}; NULL while a source object was never delivered."""
        result = con.execute(sql)
        names = [column[0] for column in result.description]
        return {
            (tuple(row[:keys]), name): (
                None if value is None or NEEDS.get(name, set()) - delivered else float(value)
            )
            for row in result.fetchall()
            for name, value in zip(names[keys:], row[keys:], strict=True)
        }

    grains = {
        "company": (
            cells(COMPANY, 1),
            published("select month, kpi_code, value from w.marts.kpi_company_monthly"),
        ),
        "pipeline_category": (  # no rows (not NULL rows) while the history was never delivered
            cells(PIPELINE_CATEGORY, 2) if delivered >= HISTORY else {},
            published(
                "select month, forecast_category, kpi_code, value from w.marts.kpi_pipeline_category_monthly"
            ),
        ),
        "team": (
            by_user(cells(TEAM, 2)),
            published("select team_key, month, kpi_code, value from w.marts.kpi_team_monthly"),
        ),
        "rep": (
            by_user(cells(REP, 2)),
            published("select sales_rep_key, month, kpi_code, value from w.marts.kpi_rep_monthly"),
        ),
        "account": (
            cells(ACCOUNT, 2),
            published(
                "select account_key, month, kpi_code, value from w.marts.kpi_account_monthly "
                "where kpi_code in ('bookings', 'win_rate')"
            ),
        ),
    }
    con.close()
    return grains


def differences(expected: dict, published: dict) -> tuple[int, list]:
    """(cells compared, [(key, oracle, published)]) over the KPIs the oracle computes."""
    codes = {code for _, code in expected}
    published = {key: value for key, value in published.items() if key[1] in codes}
    found = []
    keys = set(expected) | set(published)
    for key in sorted(keys, key=str):
        mine, theirs = expected.get(key, "no row"), published.get(key, "no row")
        tolerance = RATIO_TOLERANCE if key[1] in RATIOS else AMOUNT_TOLERANCE
        numbers = isinstance(mine, float) and isinstance(theirs, float)
        if mine != theirs and not (numbers and abs(mine - theirs) < tolerance):
            found.append((key, mine, theirs))
    return len(keys), found


def test_sales_pipeline_and_forecast_kpis_equal_an_independent_oracle(
    sample_warehouse: Path,
) -> None:
    for grain, (expected, published) in oracle(sample_warehouse).items():
        compared, found = differences(expected, published)
        assert compared > 0, grain
        assert not found, f"{grain}: {len(found)} of {compared} cells differ, first: {found[:5]}"


def test_the_oracle_sees_a_cent_a_null_and_a_missing_row(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered.duckdb"
    tampered.write_bytes(sample_warehouse.read_bytes())
    with duckdb.connect(str(tampered)) as con:
        month, team = con.execute(
            "select max(month), min(team_key) from marts.kpi_team_monthly where kpi_code = 'pipeline_flow_won'"
        ).fetchone()
        con.execute(
            "update marts.kpi_team_monthly set value = value + 0.01 "
            "where kpi_code = 'pipeline_flow_won' and month = ? and team_key = ?",
            [month, team],
        )
        con.execute(
            "update marts.kpi_company_monthly set value = null where kpi_code = 'quota' and month = ?",
            [month],
        )
        con.execute(
            "delete from marts.kpi_rep_monthly where kpi_code = 'win_rate' and month = ?", [month]
        )
    found = {grain: differences(*pair)[1] for grain, pair in oracle(tampered).items()}
    assert [key for key, _, _ in found["team"]] == [((team, month), "pipeline_flow_won")]
    assert [(key, theirs) for key, _, theirs in found["company"]] == [(((month,), "quota"), None)]
    assert found["rep"] and {theirs for _, _, theirs in found["rep"]} == {"no row"}
    assert not found["account"] and not found["pipeline_category"]
