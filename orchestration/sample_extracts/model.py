"""The simulated company as DuckDB tables ("truth" tables, typed, one row per thing).

All randomness is ``u(key, salt)``: ``hash(hash(seed, key, salt))`` mapped to [0, 1) (the outer
hash decorrelates salts: DuckDB combines the arguments' hashes linearly), so every value
depends only on the seed and the row's own key, never on threads or row order. ``nrm`` is a
standard normal from two such draws (Box-Muller). Money that is summed is DECIMAL, so sums are
exact and the output is byte-identical between runs.

The statements run in order; each creates one table. Later statements read earlier tables:
reference data -> FX -> people -> accounts -> training -> deals -> meetings -> assessments ->
forecast calls -> ERP customers -> invoices, lines, credit notes, payments -> finance forecast.
"""

from __future__ import annotations

from orchestration.extracts.validation import salesforce_suffix_sql
from orchestration.sample_extracts import params
from orchestration.sample_extracts.plan import Plan, sql_context, sql_list, sql_ts
from orchestration.sql_text import sql_literal


def _values(rows: list[tuple[object, ...]]) -> str:
    def literal(value: object) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return sql_literal(value)
        if isinstance(value, tuple):
            return sql_list(value)
        return repr(value)

    return ",\n".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


def reference_sql() -> list[str]:
    """Small lookup tables from params: regions, countries, courses, items."""
    regions: list[tuple[object, ...]] = []
    low = 0.0
    for index, name, share, currency in params.REGIONS:
        regions.append((index, name, low, low + share, currency))
        low += share
    countries: list[tuple[object, ...]] = []
    lows: dict[int, float] = {}
    for code, region, share, currency, legal, prefix, suffix, tld, cities in params.COUNTRIES:
        start = lows.get(region, 0.0)
        lows[region] = start + share
        countries.append(
            (code, region, start, start + share, currency, legal, prefix, suffix, tld, cities)
        )
    courses = [(i, *course) for i, course in enumerate(params.COURSES)]
    items = [(i, *item) for i, item in enumerate(params.ITEMS)]
    return [
        f"""
        create table regions (region int, region_name varchar, lo double, hi double,
                              call_currency varchar);
        insert into regions values {_values(regions)};
        update regions set hi = 1.0000001 where region = (select max(region) from regions);
        """,
        f"""
        create table countries (country varchar, region int, lo double, hi double,
            currency varchar, legal_form varchar, vat_prefix varchar, vat_suffix varchar,
            tld varchar, cities varchar[]);
        insert into countries values {_values(countries)};
        update countries set hi = 1.0000001
        where (region, hi) in (select (region, max(hi)) from countries group by region);
        """,
        f"""
        create table courses (course_idx int, course_name varchar, course_type varchar,
            share double, yearly boolean, cost double);
        insert into courses values {_values(courses)};
        """,
        f"""
        create table items_ref (item_idx int, item_code varchar, description varchar,
            family varchar, is_recurring boolean, margin_adj double);
        insert into items_ref values {_values(items)};
        """,
    ]


def macros_sql(plan: Plan) -> str:
    """Deterministic randomness, id and formatting helpers, and the drop a moment falls in."""
    cases = " ".join(
        f"when ts < {sql_ts(day)} then {index}" for index, day in enumerate(plan.drop_dates)
    )
    return (
        helper_macros_sql(plan.seed)
        + f"""
    create or replace macro drop_of(ts) as case {cases} else null end;
    """
    )


def helper_macros_sql(seed: int) -> str:
    """Deterministic randomness (``u``, ``nrm``, ``pick``), ids and the text formats."""
    return f"""
    create or replace macro u(k, salt) as
        ((hash(hash({seed}, k, salt)) >> 11)::double / 9007199254740992.0);
    create or replace macro nrm(k, salt) as
        sqrt(-2 * ln(1 - u(k, salt || ':a'))) * cos(2 * pi() * u(k, salt || ':b'));
    create or replace macro pick(k, salt, n) as least(n - 1, floor(u(k, salt) * n))::bigint;
    create or replace macro sf_suffix(b) as {salesforce_suffix_sql("b")};
    create or replace macro sfid15(prefix, n) as prefix || 'Hs' || lpad(n::varchar, 10, '0');
    create or replace macro sfid(prefix, n) as sfid15(prefix, n) || sf_suffix(sfid15(prefix, n));
    create or replace macro work_time(k, salt) as
        to_seconds((28800 + floor(u(k, salt) * 36000))::bigint);
    create or replace macro weekday(d) as
        d + (case dayofweek(d) when 6 then 2 when 0 then 1 else 0 end)::integer;
    create or replace macro rung_of(r) as
        case when r < {params.RUNG_THRESHOLDS[0]} then 0
             when r < {params.RUNG_THRESHOLDS[1]} then 1 else 2 end;
    create or replace macro seat_holder(orig, succ, leave_ts, ts) as
        case when leave_ts is not null and ts >= leave_ts then succ else orig end;
    create or replace macro ts_z(ts) as strftime(ts, '%Y-%m-%dT%H:%M:%S.000Z');
    create or replace macro ts_erp(ts) as strftime(ts, '%Y-%m-%dT%H:%M:%SZ');
    create or replace macro ts_off(ts) as
        strftime(ts + interval 2 hour, '%Y-%m-%dT%H:%M:%S.000') || '+02:00';
    create or replace macro ts_sf(ts, k) as
        case when u(k, 'tz') < {params.OFFSET_TIMESTAMP_SHARE} then ts_off(ts) else ts_z(ts) end;
    create or replace macro d_iso(d) as strftime(d, '%Y-%m-%d');
    create or replace macro bad_date(d, style) as
        case when style = 0 then strftime(d, '%Y') || '-02-30' else strftime(d, '%d/%m/%Y') end;
    create or replace macro b_txt(b) as case when b then 'true' when not b then 'false' end;
    create or replace macro rep_manager(seat, region) as
        case when region = 0 and (seat // 4) % 2 = 1 then sfid('005', 20)
             else sfid('005', 10 + region) end;
    create or replace macro money(x) as round(x, 2)::decimal(18, 2);
    """


FX_SQL = """
create table fx_all as
with days as (
    select d::date as d
    from generate_series({fx_start}::timestamp, {fx_until}::timestamp, interval 1 day) g(d)
),
walk as (
    select
        days.d,
        c.currency,
        c.base,
        sum(
            case when dayofweek(days.d) between 1 and 5
                then round(nrm(strftime(days.d, '%Y-%m-%d') || c.currency, 'fx')
                           * {FX_DAILY_VOL} * 1000000)::bigint
                else 0 end
        ) over (partition by c.currency order by days.d) as steps
    from days
    cross join (values ('USD', {FX_USD}), ('GBP', {FX_GBP})) c(currency, base)
)
select d, currency, round(base * exp(steps / 1000000), 6)::decimal(18, 6) as rate,
       dayofweek(d) between 1 and 5 as published
from walk
union all
select d, 'EUR', 1::decimal(18, 6), dayofweek(d) between 1 and 5 from days
union all
select d, 'CHF', {FX_CHF}::decimal(18, 6), false from days
"""

PEOPLE_SQL = [
    # A seat is a rep position; some original reps leave and a successor takes the seat over.
    """
    create table seats as
    select
        s as seat,
        s % 4 as region,
        sfid('005', 100 + s) as orig_id,
        case when u(s, 'leaves') < {REP_ATTRITION}
            then sfid('005', 100 + {n_seats} + s) end as succ_id,
        case when u(s, 'leaves') < {REP_ATTRITION}
            then {start}::timestamp
                 + to_days((150 + floor(u(s, 'leave_day') * greatest({days} - 200, 30)))::integer)
                 + work_time(s, 'leave_time') end as leave_ts
    from range({n_seats}) t(s)
    """,
    """
    create table users as
    with people as (
        select 1 as n, sfid('005', 1) as user_id, 'Head of Sales' as title,
               null::varchar as manager_id, null::int as region, null::bigint as seat,
               {start}::timestamp - to_days(30) + to_seconds(32400) as created_ts,
               null::timestamp as leave_ts
        union all
        select 2 + r, sfid('005', 10 + r), 'Regional Sales Manager', sfid('005', 1), r, null,
               {start}::timestamp - to_days(30) + to_seconds(33000), null
        from range(4) t(r)
        union all
        -- a second-level manager: half of region 0's reps report to a team lead
        select 7, sfid('005', 20), 'Sales Team Lead', sfid('005', 10), 0, null,
               {start}::timestamp - to_days(30) + to_seconds(33600), null
        union all
        select 10 + seat, orig_id, 'Account Executive', rep_manager(seat, region), region, seat,
               {start}::timestamp - to_days(30) + work_time(seat, 'hired'), leave_ts
        from seats
        union all
        select 10 + {n_seats} + seat, succ_id, 'Account Executive', rep_manager(seat, region),
               region, seat, leave_ts - to_days(3), null
        from seats where succ_id is not null
    ),
    named as (
        select
            people.*,
            {FIRST_NAMES}[1 + n % {n_first}] as first_name,
            {LAST_NAMES}[1 + (n // {n_first} + 7 * n) % {n_last}] as last_name
        from people
    )
    select
        named.*,
        first_name || ' ' || last_name as name,
        regexp_replace(lower(strip_accents(first_name)), '[^a-z]', '', 'g') || '.'
            || regexp_replace(lower(strip_accents(last_name)), '[^a-z]', '', 'g')
            || '@northwind-sales.example' as email,
        r.region_name,
        r.call_currency
    from named left join regions r using (region)
    """,
    # First completed Hybrid or Virtual Selling course per user, for the win-rate lift.
    """
    create table training as
    with candidates as (
        select
            usr.user_id, usr.n, usr.created_ts, usr.leave_ts, c.*, y,
            usr.n * 100 + c.course_idx * 10 + y as k
        from users usr
        cross join courses c
        cross join range({years}) t(y)
        where c.yearly or y = 0
    ),
    dated as (
        select
            candidates.*,
            case when yearly
                then {start} + (y * 365 + floor(u(k, 'when') * 330))::integer
                else greatest(
                    created_ts::date,
                    {start} + (case when course_type in ('Hybrid Selling', 'Virtual Selling')
                                    then {HYBRID_ROLLOUT_DAYS} else 0 end)
                ) + floor(u(k, 'when') * ({days} + 200) * 0.7)::integer
            end as completed_date
        from candidates
        where u(k, 'takes') < share
    )
    select
        sfid('a0T', row_number() over (order by completed_date, user_id, course_idx, y)) as tc_id,
        user_id, course_name || case when yearly then ' ' || year(completed_date) else '' end
            as course_name,
        course_type, completed_date,
        case when cost is not null then money(cost * (0.9 + 0.2 * u(k, 'cost'))) end as cost,
        case when cost is not null then 'EUR' end as currency
    from dated
    where completed_date >= created_ts::date
      and completed_date <= least({end}, coalesce(leave_ts::date, {end}))
    """,
    """
    create table trained as
    select user_id, min(completed_date) as trained_date
    from training
    where course_type in ('Hybrid Selling', 'Virtual Selling')
    group by user_id
    """,
]

ACCOUNTS_SQL = """
create table accounts as
with base as (
    select
        i as acc_idx,
        u(i, 'region') as ur,
        u(i, 'country') as uc,
        (i * 7919 + {seed_mod}) % {name_space} as j
    from range({n_accounts}) t(i)
),
placed as (
    select base.*, c.*
    from base
    join regions r on base.ur >= r.lo and base.ur < r.hi
    join countries c on c.region = r.region and base.uc >= c.lo and base.uc < c.hi
),
named as (
    select
        placed.*,
        {PREFIXES}[1 + j % {n_prefixes}] as prefix,
        {CORES}[1 + (j // {n_prefixes}) % {n_cores}] as core,
        {SUFFIXES}[1 + (j // ({n_prefixes} * {n_cores})) % {n_suffixes}] as suffix,
        {INDUSTRIES}[1 + (j // ({n_prefixes} * {n_cores})) % {n_suffixes}] as industry0,
        acc_idx // {name_space} as name_round
    from placed
),
shaped as (
    select
        named.*,
        case
            when u(acc_idx, 'partners') < 0.01
                then {LAST_NAMES}[1 + pick(acc_idx, 'p1', {n_last})] || ', '
                     || {LAST_NAMES}[1 + pick(acc_idx, 'p2', {n_last})] || ' & Partners'
            when u(acc_idx, 'quoted') < 0.005
                then '"' || prefix || core || '" ' || suffix
            else prefix || core || ' ' || suffix
        end || case when name_round > 0 then ' ' || (name_round + 1) else '' end as base_name,
        case when u(acc_idx, 'partners') < 0.01 then 'Professional Services'
             else industry0 end as industry
    from named
)
select
    acc_idx,
    sfid('001', acc_idx + 1) as account_id,
    false as is_dup,
    base_name,
    base_name || ' ' || legal_form as legal_name,
    country, region, currency, legal_form, vat_prefix, vat_suffix,
    lpad(((acc_idx * 982451653 + {seed_mod}) % 1000000000)::varchar, 9, '0') as vat_digits,
    cities[1 + pick(acc_idx, 'city', len(cities))] as city,
    case when u(acc_idx, 'web') < 0.97
        then 'www.' || regexp_replace(lower(strip_accents(prefix || core || suffix)),
                                      '[^a-z0-9]', '', 'g') || '.' || tld end as website,
    industry,
    greatest(5, round(exp(4.6 + 1.3 * nrm(acc_idx, 'emp'))))::bigint as employees,
    money(round(greatest(5, round(exp(4.6 + 1.3 * nrm(acc_idx, 'emp'))))
                * 160000 * exp(0.35 * nrm(acc_idx, 'rev')), -3)) as annual_revenue,
    region + 4 * pick(acc_idx, 'seat', ({n_seats} - region + 3) // 4) as seat,
    case when u(acc_idx, 'migrated') < 0.65
        then {start}::timestamp - to_days((10 + floor(u(acc_idx, 'mig_day') * 10))::integer)
        else {start}::timestamp + to_days(floor(u(acc_idx, 'new_day') * ({days} - 30))::integer)
    end + work_time(acc_idx, 'created') as created_ts,
    null::timestamp as delete_ts,
    {RELATIONSHIP_START_SPREAD} * u(acc_idx, 'rel') as r0,
    u(acc_idx, 'assessed') < {ASSESSED_ACCOUNT_SHARE} as assessed,
    case when acc_idx >= 20 and u(acc_idx, 'parent') < 0.08
        then sfid('001', 1 + floor(u(acc_idx, 'parent_idx') * acc_idx)::bigint) end as parent_id,
    (['Direct', 'Reseller', 'End User'])[1 + pick(acc_idx, 'kind', 3)] as channel
from shaped
"""

# Reps create duplicates of existing accounts; they are deleted (IsDeleted) a few days later.
DUPLICATES_SQL = """
insert into accounts
with d as (
    select
        k,
        pick(k, 'dup_of', {n_accounts}) as orig_idx,
        {start}::timestamp + to_days(floor(u(k, 'dup_day') * ({days} - 40))::integer)
            + work_time(k, 'dup_time') as dup_ts
    from range({n_duplicates}) t(k)
)
select
    {n_accounts} + k, sfid('001', {n_accounts} + 1 + k), true, a.base_name, a.legal_name,
    a.country, a.region, a.currency, a.legal_form, a.vat_prefix, a.vat_suffix, null,
    a.city, a.website, a.industry, a.employees, a.annual_revenue, a.seat,
    greatest(d.dup_ts, a.created_ts + to_days(5)),
    greatest(d.dup_ts, a.created_ts + to_days(5)) + to_days((1 + pick(k, 'del', 14))::integer),
    a.r0, false, null, a.channel
from d join accounts a on a.acc_idx = d.orig_idx
"""

OPPORTUNITIES_SQL = """
create table opps as
with b as (
    select
        i as opp_idx,
        sfid('006', i + 1) as opp_id,
        least({n_accounts} - 1, floor({n_accounts} * pow(u(i, 'acc'), 1.3)))::bigint as acc_idx
    from range({n_opportunities}) t(i)
),
a as (
    select b.*, a.account_id, a.base_name, a.currency, a.seat, a.r0,
           greatest({start}, a.created_ts::date + 1) as lo
    from b join accounts a using (acc_idx)
),
c as (
    select
        a.*,
        lo + floor(u(opp_idx, 'created') * (date_diff('day', lo, {end}) + 1))::integer
            as created_date,
        {DEAL_MEDIAN_EUR} * exp({DEAL_SIGMA} * nrm(opp_idx, 'amount')) as amount0_eur
    from a
),
d as (
    select
        c.*,
        created_date + work_time(opp_idx, 'created_t') as created_ts,
        greatest(500, round(amount0_eur / fx.rate / 100) * 100) as amount0,
        created_date
            + ({CYCLE_MIN_DAYS} + floor(u(opp_idx, 'cycle') * {CYCLE_SPREAD_DAYS}))::integer
            as e_raw
    from c join fx_all fx on fx.d = c.created_date and fx.currency = c.currency
),
e as (
    select
        d.*,
        case when u(opp_idx, 'snap') < {QUARTER_END_SNAP}
            then greatest(e_raw, last_day(date_trunc('quarter', e_raw) + interval 2 month)
                                 - pick(opp_idx, 'snap_day', 5)::integer)
            else e_raw end as e0,
        case when u(opp_idx, 'slip') < {SLIP_RATE}
            then case when u(opp_idx, 'slip2') < {SECOND_SLIP_RATE} then 2 else 1 end
            else 0 end as n_slips
    from d
),
f as (
    select
        e.*,
        (e0 + to_months((1 + pick(opp_idx, 'slip1_m', 2))::integer))::date as e1
    from e
),
g as (
    select
        f.*,
        (e1 + to_months((1 + pick(opp_idx, 'slip2_m', 2))::integer))::date as e2
    from f
),
h as (
    select
        g.*,
        greatest(created_date + 1,
                 (case n_slips when 0 then e0 when 1 then e1 else e2 end)
                 - pick(opp_idx, 'early', 4)::integer) as close_date
    from g
),
k as (
    select
        h.*,
        close_date + work_time(opp_idx, 'close_t') as close_ts,
        rung_of(r0 + {RELATIONSHIP_GROWTH_PER_YEAR}
                     * date_diff('day', {start}, close_date) / 365.25) as rung_close,
        s.orig_id, s.succ_id, s.leave_ts
    from h join seats s using (seat)
),
m as (
    select
        k.*,
        seat_holder(orig_id, succ_id, leave_ts, close_ts) as owner_close,
        coalesce(t.trained_date < close_date, false) as trained_at_close
    from k
    left join trained t
        on t.user_id = seat_holder(k.orig_id, k.succ_id, k.leave_ts, k.close_ts)
)
select
    m.*,
    u(opp_idx, 'won') < {WIN_RATES}[rung_close + 1]
        + case when trained_at_close then {TRAINING_WIN_LIFT} else 0 end as won,
    greatest(-0.3, least(0.3, {AMOUNT_DRIFT_SD} * nrm(opp_idx, 'drift'))) as drift,
    u(opp_idx, 'null_amount') < {NULL_AMOUNT_RATE} as null_first,
    u(opp_idx, 'deleted') < {DELETED_OPPORTUNITY_RATE} as deleted,
    created_ts + to_days((1 + pick(opp_idx, 'del_day', 20))::integer) as delete_ts,
    base_name || ' - ' || {TOPICS}[1 + pick(opp_idx, 'topic', 6)] || ' ' || year(created_date)
        as opp_name,
    case when u(opp_idx, 'type') < 0.4 then 'Existing Business' else 'New Business' end
        as opp_type,
    {LEAD_SOURCES}[1 + pick(opp_idx, 'lead', 6)] as lead_source
from m
"""

OPPORTUNITY_DETAIL_SQL = [
    """
    create table opps2 as
    select
        opps.*,
        case when won then 4 else 1 + pick(opp_idx, 'max_stage', 4) end as m,
        case when deleted then delete_ts end as deleted_ts
    from opps
    """,
    """
    drop table opps
    """,
    """
    alter table opps2 rename to opps
    """,
    # One row per change: stage reached, close date slipped, closed, owner reassigned, deleted.
    # The state after each change comes from running maxima over the deal's changes.
    """
    create table opp_states as
    with ev as (
        select opp_id, 'stage' as kind, 1 + k as stage, 0 as slip, 0 as kind_order,
               created_ts + to_seconds(date_diff('second', created_ts, close_ts) * k // m) as ts
        from opps, range(4) r(k) where k < m
        union all
        select opp_id, 'slip', null, 1 + k, 1,
               ((case when k = 0 then e0 else e1 end)
                - pick(opp_idx * 4 + k, 'slip_day', 10)::integer)
               + work_time(opp_idx * 4 + k, 'slip_t')
        from opps, range(2) r(k) where k < n_slips
        union all
        select opp_id, 'close', null, 0, 2, close_ts from opps
        union all
        select opp_id, 'reassign', null, 0, 3, leave_ts from opps
        where leave_ts > created_ts and leave_ts < close_ts
        union all
        select opp_id, 'delete', null, 0, 4, deleted_ts from opps where deleted
    ),
    kept as (
        select ev.*
        from ev join opps using (opp_id)
        where opps.deleted_ts is null or ev.ts < opps.deleted_ts or ev.kind = 'delete'
    ),
    running as (
        select
            kept.*,
            max(stage) over w as stage_now,
            max(slip) over w as slips_now,
            max(case when kind = 'close' then 1 else 0 end) over w = 1 as closed_now,
            max(case when kind = 'delete' then 1 else 0 end) over w = 1 as deleted_now
        from kept
        window w as (partition by opp_id order by ts, kind_order, stage, slip
                     rows between unbounded preceding and current row)
    )
    select
        running.opp_id, kind, kind_order, ts, stage_now, slips_now, closed_now, deleted_now,
        o.account_id, o.opp_idx, o.opp_name, o.opp_type, o.currency, o.created_ts, o.lead_source,
        o.won, o.close_date,
        seat_holder(o.orig_id, o.succ_id, o.leave_ts, running.ts) as owner_id,
        case
            when closed_now and o.won then 'Closed Won'
            when closed_now then 'Closed Lost'
            else {STAGE_NAMES}[stage_now] end as stage_name,
        case
            when closed_now and o.won then 100
            when closed_now then 0
            else {STAGE_PROBS}[stage_now] end as probability,
        case
            when closed_now and o.won then 'Closed'
            when closed_now then 'Omitted'
            else {STAGE_CATS}[stage_now] end as forecast_category,
        case
            when closed_now then o.close_date
            when slips_now = 0 then o.e0
            when slips_now = 1 then o.e1
            else o.e2 end as close_date_now,
        case
            when closed_now and o.won
                then money(round(o.amount0 * (1 + o.drift) * (1 - 0.08 * u(o.opp_idx, 'disc'))
                                 / 100) * 100)
            when closed_now then money(round(o.amount0 * (1 + o.drift * (o.m - 1) / 3) / 100) * 100)
            when stage_now = 1 and o.null_first then null
            else money(round(o.amount0 * (1 + o.drift * (stage_now - 1) / 3) / 100) * 100)
        end as amount
    from running join opps o using (opp_id)
    """,
    """
    create table won_deals as
    select
        o.opp_idx, o.opp_id, o.acc_idx, o.currency, o.close_date, o.close_ts, o.owner_close,
        o.rung_close, s.amount as amount, s.amount * fx.rate as amount_eur
    from opps o
    join opp_states s on s.opp_id = o.opp_id and s.kind = 'close'
    join fx_all fx on fx.d = o.close_date and fx.currency = o.currency
    where o.won and not o.deleted
    """,
    """
    create table firstwin as
    select acc_idx, min(close_ts) as first_win_ts from won_deals group by acc_idx
    """,
]

MEETINGS_SQL = """
create table meetings as
with b as (
    select
        i as ev_idx,
        sfid('00U', i + 1) as event_id,
        least({n_accounts} - 1, floor({n_accounts} * pow(u(i, 'acc'), 1.2)))::bigint as acc_idx,
        {start} + floor(pow(u(i, 'day'), 0.9) * {days})::integer as day0
    from range({n_events}) t(i)
),
a as (
    select b.*, a.account_id, a.seat, greatest(b.day0, a.created_ts::date + 1) as activity_date
    from b join accounts a using (acc_idx)
),
c as (
    select
        a.*,
        activity_date - pick(ev_idx, 'lead', 14)::integer + work_time(ev_idx, 'created')
            as created_ts,
        date_diff('day', {start}, activity_date) / {days} as frac
    from a
)
select
    c.ev_idx, c.event_id, c.activity_date, c.created_ts,
    case when u(ev_idx, 'no_account') >= {NO_ACCOUNT_EVENT_RATE} then c.account_id end
        as account_id,
    seat_holder(s.orig_id, s.succ_id, s.leave_ts, c.created_ts) as owner_id,
    {SUBJECTS}[1 + pick(ev_idx, 'subject', 7)] as subject,
    case
        when u(ev_idx, 'mode_null') < {MEETING_MODE_UNKNOWN} then null
        when u(ev_idx, 'mode') < {VIRTUAL_SHARE_START}
                                 + ({VIRTUAL_SHARE_END} - {VIRTUAL_SHARE_START}) * frac
            then 'Virtual'
        else 'In Person' end as meeting_mode,
    {DURATIONS}[1 + pick(ev_idx, 'duration', 5)] as duration,
    case when u(ev_idx, 'deleted') < {DELETED_EVENT_RATE}
        then c.created_ts + to_days((1 + pick(ev_idx, 'del', 10))::integer) end as delete_ts
from c join seats s using (seat)
where c.activity_date <= {end}
"""

ASSESSMENTS_SQL = """
create table assessments as
with acc as (
    select
        a.*,
        greatest({start} + 30, a.created_ts::date + 20)
            + floor(u(acc_idx, 'first_assess') * 400)::integer as first_date,
        1 + pick(acc_idx, 'rounds', {ASSESSMENT_MAX_ROUNDS}) as n_rounds
    from accounts a
    where a.assessed and not a.is_dup
),
rounds as (
    select acc.*, k,
           first_date + (k * 215 + floor(u(acc_idx * 8 + k, 'gap') * 60))::integer as seller_date
    from acc, range({ASSESSMENT_MAX_ROUNDS}) r(k)
    where k < n_rounds
),
responses as (
    select rounds.*, 0 as resp_idx, seller_date as assess_date from rounds
    union all
    select rounds.*, 1, seller_date + (3 + pick(acc_idx * 8 + k, 'buyer_lag', 18))::integer
    from rounds
    where u(acc_idx * 8 + k, 'buyer') < {BUYER_RESPONSE_RATE}
),
perceived as (
    select
        responses.*,
        acc_idx * 16 + k * 2 + resp_idx as rk,
        r0 + {RELATIONSHIP_GROWTH_PER_YEAR} * date_diff('day', {start}, assess_date) / 365.25
            + case when resp_idx = 0
                then {SELLER_PERCEPTION_NOISE} * nrm(acc_idx * 16 + k * 2, 'perceive')
                else -{BUYER_PERCEPTION_GAP}
                     + {BUYER_PERCEPTION_NOISE} * nrm(acc_idx * 16 + k * 2 + 1, 'perceive')
              end as perc
    from responses
    where assess_date <= {end}
)
select
    sfid('a0R', row_number() over (order by assess_date, acc_idx, resp_idx)) as ra_id,
    p.account_id, p.assess_date, p.acc_idx,
    case when resp_idx = 0 then 'Seller' else 'Buyer' end as respondent,
    (['Acquaintance', 'Professional Peer', 'Respected Advisor'])[rung_of(perc) + 1] as rung,
    seat_holder(s.orig_id, s.succ_id, s.leave_ts, p.assess_date::timestamp) as assessed_by,
    greatest(0, least(10, round(10 * perc + {SCORE_NOISE} * nrm(rk, 's1'))))::int as s_strategy,
    greatest(0, least(10, round(10 * perc - 0.3 + {SCORE_NOISE} * nrm(rk, 's2'))))::int as s_trust,
    greatest(0, least(10, round(10 * perc + 0.2 + {SCORE_NOISE} * nrm(rk, 's3'))))::int as s_time,
    greatest(0, least(10, round(10 * perc - 0.8 + {SCORE_NOISE} * nrm(rk, 's4'))))::int as s_exec,
    greatest(0, least(10, round(10 * perc + 0.5 + {SCORE_NOISE} * nrm(rk, 's5'))))::int as s_value
from perceived p join seats s using (seat)
"""

FORECAST_SQL = [
    # Each active rep's Commit call per month, in EUR, before restatements.
    """
    create table rep_months as
    with periods as (
        select m::date as period, row_number() over (order by m) as period_idx
        from generate_series(date_trunc('month', {start}), date_trunc('month', {last_drop_date}),
                             interval 1 month) g(m)
    ),
    active as (
        select p.*, usr.user_id, usr.n, usr.call_currency
        from periods p
        join users usr
          on usr.seat is not null
         and usr.created_ts < p.period - to_days(10)
         and (usr.leave_ts is null or usr.leave_ts > p.period)
    ),
    own as (
        select owner_close as user_id, date_trunc('month', close_date)::date as period,
               sum(amount_eur) as own_eur
        from won_deals group by all
    ),
    company as (
        select period, sum(own_eur) as total_eur from own group by period
    ),
    headcount as (
        select period, count(*) as reps from active group by period
    )
    select
        active.*,
        (
            (1 - {SALES_FORECAST_POOLING}) * coalesce(own.own_eur, 0)
            + {SALES_FORECAST_POOLING} * coalesce(company.total_eur, 0) / headcount.reps
        ) * (1 + {SALES_FORECAST_BIAS})
          * exp({REP_BIAS_SPREAD} * nrm(active.n, 'rep_bias'))
          * exp({SALES_FORECAST_NOISE} * nrm(active.n * 1000 + period_idx, 'commit')
                - {SALES_FORECAST_NOISE} * {SALES_FORECAST_NOISE} / 2) as commit_eur,
        (period - to_months(1))::date
            + (20 + pick(active.n * 1000 + period_idx, 'main_day', 7))::integer
            + work_time(active.n * 1000 + period_idx, 'main_t') as main_ts
    from active
    join headcount using (period)
    left join own using (user_id, period)
    left join company using (period)
    """,
    # Kind 0 = the call that counts (latest before the month), 1 = an earlier call, 2 = a
    # restatement dated on the 1st (00:00:00 exactly for half of them), 3 = mid-month update.
    """
    create table submissions as
    with cats as (
        select rep_months.*, c.category, c.cat_idx,
               (n * 1000 + period_idx) * 2 + c.cat_idx as ck,
               case when c.cat_idx = 0 then commit_eur
                    else commit_eur * (1.35 + 0.25 * u((n * 1000 + period_idx) * 2, 'bc')) end
                   as x_eur
        from rep_months cross join (values ('Commit', 0), ('Best Case', 1)) c(category, cat_idx)
    ),
    kinds as (
        select cats.*, kind, ck * 4 + kind as sk
        from cats, range(4) r(kind)
        where kind = 0
           or (kind = 1 and u(ck, 'early') < {EARLY_SUBMISSION_RATE})
           or (kind = 2 and u(ck, 'first') < {ON_FIRST_SUBMISSION_RATE})
           or (kind = 3 and u(ck, 'mid') < {MID_MONTH_SUBMISSION_RATE})
    ),
    timed as (
        select
            kinds.*,
            case kind
                when 0 then main_ts
                when 1 then main_ts - to_days((5 + pick(sk, 'early_day', 8))::integer)
                when 2 then period::timestamp
                            + case when u(sk, 'midnight') < 0.5 then to_seconds(0)
                                   else work_time(sk, 'first_t') end
                else period + (7 + pick(sk, 'mid_day', 10))::integer + work_time(sk, 'mid_t')
            end as submitted_ts,
            case when kind = 0 then x_eur else x_eur * exp(0.2 * nrm(sk, 'restate')) end
                as amount_eur
        from kinds
    )
    select
        sfid('a0F', row_number() over (order by submitted_ts, user_id, cat_idx, kind)) as fs_id,
        user_id, period, category, cat_idx, kind, call_currency as currency, submitted_ts,
        money(greatest(0, round(amount_eur / fx.rate / 100) * 100)) as amount, 'Own' as scope
    from timed
    join fx_all fx on fx.d = timed.submitted_ts::date and fx.currency = timed.call_currency
    """,
    # Managers' Team calls: in some months a manager calls the whole team (EUR), a little
    # below the sum of the team's own calls, a few days before the month.
    """
    insert into submissions
    with managers as (
        select m.user_id, m.n
        from users m
        where m.seat is null and m.manager_id is not null
    ),
    members as (
        select managers.user_id as manager_id, managers.n as manager_n, r.user_id
        from managers
        join users r
          on r.manager_id = managers.user_id
          or r.manager_id in (select user_id from users where manager_id = managers.user_id)
    ),
    team_sums as (
        select
            members.manager_id, members.manager_n, s.period,
            sum(s.amount * fx.rate) as team_eur,
            row_number() over (order by s.period) as period_idx
        from members
        join submissions s
          on s.user_id = members.user_id and s.kind = 0 and s.cat_idx = 0
        join fx_all fx on fx.d = s.submitted_ts::date and fx.currency = s.currency
        group by members.manager_id, members.manager_n, s.period
    ),
    called as (
        select
            team_sums.*,
            team_sums.manager_n * 1000 + year(period) * 12 + month(period) as tk
        from team_sums
    )
    select
        sfid('a0F', 9000000 + row_number() over (order by period, manager_id)),
        manager_id, period, 'Commit', 0, 0, 'EUR',
        (period - to_days((2 + pick(tk, 'team_day', 4))::integer))::timestamp
            + work_time(tk, 'team_t'),
        money(round(team_eur * {TEAM_CALL_CUT} * exp({TEAM_CALL_NOISE} * nrm(tk, 'team_noise'))
                    / 100) * 100),
        'Team'
    from called
    where u(tk, 'team_call') < {TEAM_CALL_RATE}
    """,
    # Monthly quotas: every active rep, and the managers of regions 0 and 1 on top.
    """
    create table quotas as
    with per_rep as (
        select avg(own_eur) as avg_eur
        from (
            select owner_close, date_trunc('month', close_date) as m, sum(amount_eur) as own_eur
            from won_deals group by all
        )
    ),
    headcount as (
        select period, count(*) as reps from rep_months group by period
    ),
    company as (
        select date_trunc('month', close_date)::date as period, sum(amount_eur) as total_eur
        from won_deals group by all
    ),
    -- The plan's run rate: bookings per rep over the 12 months before the period
    -- (a growing company raises its quotas); the all-time average before any history.
    run_rate as (
        select
            headcount.period,
            sum(coalesce(company.total_eur, 0)) over trailing_year
                / sum(headcount.reps) over trailing_year as eur_per_rep
        from headcount
        left join company using (period)
        window trailing_year as (
            order by headcount.period rows between 12 preceding and 1 preceding
        )
    ),
    rep_quotas as (
        select
            rep_months.user_id, rep_months.period,
            money(round(coalesce(run_rate.eur_per_rep, per_rep.avg_eur) * {QUOTA_STRETCH}
                        * (0.8 + 0.4 * u(rep_months.n, 'quota')) / 1000) * 1000) as quota_eur
        from rep_months
        join run_rate using (period)
        cross join per_rep
    ),
    manager_quotas as (
        select sfid('005', 10 + usr.region) as user_id, rep_quotas.period,
               money(round(sum(rep_quotas.quota_eur) * {MANAGER_QUOTA_STRETCH} / 1000) * 1000)
                   as quota_eur
        from rep_quotas
        join users usr using (user_id)
        where usr.region in (0, 1)
        group by all
    ),
    unioned as (
        select * from rep_quotas
        union all
        select * from manager_quotas
    )
    select
        sfid('0QF', row_number() over (order by period, user_id)) as quota_id,
        user_id, period, quota_eur,
        (period - to_days(20))::timestamp + to_seconds(36000) as created_ts
    from unioned
    """,
]

CUSTOMERS_SQL = """
create table customers as
with crm as (
    select
        a.acc_idx, a.account_id, false as webshop, a.base_name, a.legal_name, a.legal_form,
        a.country, a.city, a.vat_prefix, a.vat_digits, a.vat_suffix,
        f.first_win_ts + to_days((1 + pick(a.acc_idx, 'cust_lag', 3))::integer) as created_ts
    from accounts a join firstwin f using (acc_idx)
),
web as (
    select
        {n_accounts} + {n_duplicates} + w as acc_idx,
        null::varchar as account_id,
        true as webshop,
        {LAST_NAMES}[1 + pick(w, 'shop_name', {n_last})] || ' '
            || (['Handel', 'Trading', 'Versand', 'Shop', 'Technik'])[1 + pick(w, 'shop_kind', 5)]
            || ' ' || (w + 1) as base_name,
        null::varchar as legal_name,
        null::varchar as legal_form,
        (['DE', 'AT', 'NL', 'FR', 'GB'])[1 + pick(w, 'shop_country', 5)] as country,
        null::varchar as city,
        null::varchar as vat_prefix, null::varchar as vat_digits, null::varchar as vat_suffix,
        {start}::timestamp + to_days(floor(u(w, 'shop_day') * ({days} - 60))::integer)
            + work_time(w, 'shop_t') as created_ts
    from range({n_webshop}) t(w)
),
web_full as (
    select
        web.acc_idx, web.account_id, web.webshop, web.base_name,
        web.base_name || ' ' || c.legal_form as legal_name, c.legal_form, web.country,
        c.cities[1 + pick(web.acc_idx, 'city', len(c.cities))] as city,
        case when u(web.acc_idx, 'shop_vat') < 0.5 then c.vat_prefix end as vat_prefix,
        lpad(((web.acc_idx * 982451653 + {seed_mod}) % 1000000000)::varchar, 9, '0')
            as vat_digits,
        c.vat_suffix, web.created_ts
    from web join countries c using (country)
),
allc as (
    select * from crm
    union all
    select * from web_full
),
numbered as (
    select
        allc.*,
        'C' || (10000 + row_number() over (order by created_ts, acc_idx)) as customer_number,
        created_ts >= {last_drop} - to_days(45) as late,
        (['30', '30', '30', '14', '45', '60'])[1 + pick(acc_idx, 'terms', 6)]::int as terms,
        case when u(acc_idx, 'blocked') < {BLOCKED_CUSTOMER_RATE}
            then created_ts + to_days((90 + pick(acc_idx, 'block_day', 500))::integer) end
            as blocked_ts
    from allc
),
ranked as (
    select
        numbered.*,
        row_number() over (partition by webshop order by late, u(acc_idx, 'mess_hint'), acc_idx)
            as hint_rank,
        row_number() over (partition by webshop
                           order by late, vat_prefix = '' or vat_prefix is null,
                                    u(acc_idx, 'mess_vat'), acc_idx) as vat_rank,
        row_number() over (partition by webshop order by late, u(acc_idx, 'mess_name'), acc_idx)
            as name_rank,
        -- from the other end of the hint ranking: a blank ERP number never hides a bad hint
        row_number() over (partition by webshop
                           order by late, u(acc_idx, 'mess_hint') desc, acc_idx) as num_rank,
        row_number() over (partition by webshop
                           order by late, country <> 'CH', u(acc_idx, 'mess_chf'), acc_idx)
            as chf_rank,
        sum(case when not late then 1 else 0 end) over (partition by webshop) as n_visible,
        sum(case when not late and vat_prefix <> '' then 1 else 0 end)
            over (partition by webshop) as n_vat,
        sum(case when not late and country = 'CH' then 1 else 0 end)
            over (partition by webshop) as n_ch
    from numbered
),
flagged as (
    select
        ranked.*,
        ceil(n_visible * {mess_hint_blank}) as n1,
        ceil(n_visible * {mess_hint_wrong}) as n2,
        ceil(n_visible * {mess_hint_unknown}) as n3,
        ceil(n_vat * {mess_vat_format}) as v1,
        ceil(n_vat * {mess_vat_missing}) as v2
    from ranked
)
select
    acc_idx, account_id, webshop, customer_number, base_name, legal_name, legal_form, country, city,
    created_ts, terms, blocked_ts,
    case
        when webshop then 'none'
        when hint_rank <= n1 then 'blank'
        when hint_rank <= n1 + n2 then 'wrong'
        when hint_rank <= n1 + n2 + n3 then 'unknown'
        else 'ok' end as hint_kind,
    case
        when webshop or vat_prefix is null or vat_prefix = '' then 'none'
        when vat_rank <= v1 then 'format'
        when vat_rank <= v1 + v2 then
            case when vat_rank % 2 = 0 then 'missing_crm' else 'missing_erp' end
        else 'ok' end as vat_kind,
    pick(acc_idx, 'vat_style', 3) as vat_style,
    vat_prefix, vat_digits, vat_suffix,
    case
        when webshop then 'none'
        when name_rank <= ceil(n_visible * {mess_name_variant}) then
            case when name_rank % 2 = 1 then 'legal_form' else 'case' end
        else 'ok' end as name_kind,
    not webshop and num_rank <= ceil(n_visible * {mess_erp_number_blank}) as erp_number_blank,
    not webshop
        and chf_rank <= case when {mess_chf_customer} > 0
                            then greatest(1, ceil(n_ch * {mess_chf_customer})) else 0 end
        as chf
from flagged
"""

INVOICES_SQL = [
    # Deal invoices (subscriptions monthly/quarterly, projects in 1-3 milestones) and webshop
    # invoices of ERP-only customers. Amounts in the document currency.
    """
    create table invoice_src as
    with deals as (
        select
            w.*, c.customer_number, c.terms, c.chf,
            u(w.opp_idx, 'recurring') < {RECURRING_SHARE} as recurring,
            u(w.opp_idx, 'monthly') < {MONTHLY_BILLING_SHARE} as monthly,
            {MARGINS}[w.rung_close + 1] + 0.03 * nrm(w.opp_idx, 'margin') as margin_base
        from won_deals w join customers c on c.acc_idx = w.acc_idx and not c.webshop
        where u(w.opp_idx, 'never_invoiced') >= {NEVER_INVOICED_SHARE}
    ),
    plans as (
        select
            deals.*,
            case when recurring and monthly then 12 when recurring then 4
                 else 1 + pick(opp_idx, 'milestones', 3) end as n_inv,
            case when recurring and not monthly then 3 else 1 end as step_months
        from deals
    ),
    deal_invoices as (
        select
            0 as src, opp_idx as src_idx, k, opp_id, customer_number, terms, recurring,
            margin_base,
            weekday((close_date + to_months((k * step_months)::integer))::date
                    + (1 + pick(opp_idx * 16 + k, 'inv_lag', 6))::integer) as invoice_date,
            case when chf then 'CHF' else currency end as currency,
            case when chf then amount_eur / {FX_CHF} else amount end / n_inv as amount_doc
        from plans, range(12) r(k)
        where k < n_inv
    ),
    web_invoices as (
        select
            1 as src, c.acc_idx as src_idx, m as k, null::varchar as opp_id, c.customer_number,
            c.terms, false as recurring, 0.30 + 0.04 * nrm(c.acc_idx * 64 + m, 'margin'),
            weekday((date_trunc('month', c.created_ts) + to_months(m::integer))::date
                    + pick(c.acc_idx * 64 + m, 'web_day', 27)::integer) as invoice_date,
            case when c.country = 'GB' then 'GBP' else 'EUR' end as currency,
            exp(ln(900) + 0.6 * nrm(c.acc_idx * 64 + m, 'web_amount'))
                / case when c.country = 'GB' then {FX_GBP} else 1 end as amount_doc
        from customers c, range({months} + 3) r(m)
        where c.webshop and u(c.acc_idx * 64 + m, 'web_buy') < 0.45
    )
    select * from deal_invoices
    union all
    select * from web_invoices
    """,
    """
    create table invoices as
    with dated as (
        select s.*
        from invoice_src s
        join customers c using (customer_number)
        where s.invoice_date < {last_drop_date} + 100
          and s.invoice_date >= c.created_ts::date
    ),
    numbered as (
        select
            dated.src, dated.src_idx, dated.k, dated.opp_id, dated.customer_number, dated.terms,
            dated.recurring, dated.margin_base, dated.invoice_date, dated.currency,
            dated.amount_doc,
            'INV-' || year(invoice_date) || '-' || lpad(row_number() over (
                partition by year(invoice_date) order by invoice_date, src, src_idx, k)::varchar,
                6, '0') as invoice_number
        from dated
    )
    select
        numbered.*,
        'invoice' as document_type,
        invoice_date + terms as due_date,
        invoice_date + work_time(invoice_number, 'created') as created_ts,
        case when src = 1 then 1 + pick(invoice_number, 'n_lines', 2)
             when recurring then 2 + pick(invoice_number, 'n_lines', 7)
             else 3 + pick(invoice_number, 'n_lines', 10) end as n_lines,
        u(invoice_number, 'discount') < {DISCOUNT_LINE_SHARE} as has_discount,
        u(invoice_number, 'stuck') < {STUCK_DRAFT_RATE} as stuck,
        u(invoice_number, 'draft') < {DRAFT_RATE} as drafted
    from numbered
    """,
    """
    create table invoice_status as
    with base as (
        select
            invoice_number, invoice_date, created_ts, stuck,
            case when stuck then null
                 when drafted
                     then created_ts + to_days((1 + pick(invoice_number, 'post', 4))::integer)
                 else created_ts end as post_ts
        from invoices
    ),
    ranked as (
        select
            base.*,
            row_number() over (order by stuck, created_ts >= {last_drop} - to_days(30),
                                        u(invoice_number, 'cancel'), invoice_number) as cancel_rank,
            sum(case when not stuck and created_ts < {last_drop} - to_days(30) then 1 else 0 end)
                over () as n_cancelable,
            row_number() over (
                order by not (created_ts >= {penultimate_drop} - to_days(25)
                              and created_ts < {penultimate_drop} - to_days(1)
                              and not stuck),
                         u(invoice_number, 'cancel_demo'), invoice_number) as demo_rank
        from base
    )
    select
        invoice_number, post_ts, stuck,
        case
            when demo_rank = 1 and {penultimate_drop} is not null
                 and created_ts >= {penultimate_drop} - to_days(25) and not stuck
                then {penultimate_drop} + to_days(3) + work_time(invoice_number, 'cancel_t')
            when cancel_rank <= ceil(n_cancelable * {CANCEL_RATE}) and not stuck
                then post_ts + to_days((2 + pick(invoice_number, 'cancel_day', 25))::integer)
        end as cancel_ts
    from ranked
    """,
    # Lines: the invoice amount split by integer weights; quantity * unit_price = net_amount.
    """
    create table invoice_lines as
    with l as (
        select
            i.invoice_number, i.created_ts, i.src, i.recurring, i.margin_base, i.amount_doc,
            i.has_discount, i.n_lines, j, i.invoice_number || '#' || j as lk,
            50 + pick(i.invoice_number || '#' || j, 'w', 100) as w
        from invoices i, range(13) r(j)
        where j < i.n_lines
    ),
    weighted as (
        select l.*, sum(w) over (partition by invoice_number) as w_total from l
    ),
    itemized as (
        select
            weighted.*,
            case
                when src = 1 then (['SKU-3001', 'SKU-3002', 'SKU-4001', 'SKU-4002'])
                                  [1 + pick(lk, 'item', 4)]
                when recurring and j = 0 then {ITEMS_PLATFORM}[1 + pick(lk, 'item', 3)]
                when recurring then ({ITEMS_ADDON} || {ITEMS_SUPPORT})[1 + pick(lk, 'item', 6)]
                when j = 0 then {ITEMS_SERVICES}[1 + pick(lk, 'item', 4)]
                else ({ITEMS_SERVICES} || {ITEMS_HARDWARE} || {ITEMS_TRAINING})
                     [1 + pick(lk, 'item', 9)]
            end as item_code,
            amount_doc * w / w_total as line_amount
        from weighted
    ),
    priced as (
        select
            itemized.*,
            r.family, r.margin_adj,
            (1 + pick(lk, 'qty', case r.family when 'Platform' then 50 when 'Add-on' then 20
                                               when 'Support' then 1 when 'Services' then 15
                                               else 10 end))::decimal(18, 2) as quantity
        from itemized join items_ref r using (item_code)
    ),
    lines as (
        select
            invoice_number, j + 1 as line_number, item_code, quantity,
            greatest(0.01, round(line_amount / quantity, 2))::decimal(18, 2) as unit_price,
            margin_base + margin_adj + 0.05 * nrm(lk, 'line_margin') as margin,
            created_ts, lk
        from priced
        union all
        select
            invoice_number, n_lines + 1, 'SKU-9900', 1::decimal(18, 2),
            -round(amount_doc * (0.03 + 0.09 * u(invoice_number, 'discount_pct')), 2)
                ::decimal(18, 2),
            1.0, created_ts, invoice_number || '#d'
        from invoices where has_discount
    ),
    costed as (
        select
            lines.*,
            (quantity * unit_price)::decimal(18, 2) as net_amount,
            row_number() over (order by item_code = 'SKU-9900',
                                        created_ts >= {last_drop} - to_days(30),
                                        u(lk, 'null_cost'), lk) as null_rank,
            count(*) over () as n_all
        from lines
    )
    select
        invoice_number, line_number, item_code, quantity, unit_price, net_amount, created_ts,
        case
            when item_code = 'SKU-9900' then 0::decimal(18, 2)
            when null_rank <= ceil(n_all * {mess_null_cost}) then null
            else money(net_amount * (1 - least(0.85, greatest(0.02, margin)))) end as cost_amount
    from costed
    """,
    # Credit notes: positive amounts, posted, 10-60 days after the invoice they correct.
    """
    create table credit_notes as
    with totals as (
        select invoice_number, sum(net_amount) as total,
               min(case when line_number = 1 then item_code end) as first_item
        from invoice_lines group by invoice_number
    ),
    eligible as (
        select i.*, t.total, t.first_item,
               row_number() over (order by i.invoice_date >= {last_drop_date} - 75,
                                           u(i.invoice_number, 'credit'), i.invoice_number) as rk,
               sum(case when i.invoice_date < {last_drop_date} - 75 then 1 else 0 end)
                   over () as n_eligible
        from invoices i
        join invoice_status s using (invoice_number)
        join totals t using (invoice_number)
        where s.cancel_ts is null and not s.stuck
    ),
    chosen as (
        select eligible.*,
               weekday(invoice_date + (10 + pick(invoice_number, 'cn_day', 50))::integer)
                   as cn_date
        from eligible
        where rk <= greatest(1, ceil(n_eligible * {CREDIT_NOTE_RATE}))
    )
    select
        'CN-' || year(cn_date) || '-' || lpad(row_number() over (
            partition by year(cn_date) order by cn_date, invoice_number)::varchar, 6, '0')
            as cn_number,
        invoice_number as original_number, customer_number, opp_id, currency, cn_date,
        cn_date + work_time(invoice_number, 'cn_t') as created_ts, first_item,
        money(total * (0.1 + 0.4 * u(invoice_number, 'cn_share'))) as amount
    from chosen
    """,
    # All ERP documents and lines as they are exported (invoices and credit notes together).
    """
    create table documents as
    select
        i.invoice_number, i.customer_number, i.document_type, i.invoice_date, i.due_date,
        i.currency, i.opp_id, i.created_ts, s.post_ts, s.cancel_ts, s.stuck, i.terms
    from invoices i join invoice_status s using (invoice_number)
    union all
    select
        cn_number, customer_number, 'credit_note', cn_date, null, currency, opp_id, created_ts,
        created_ts, null, false, null
    from credit_notes
    """,
    """
    create table document_lines as
    select invoice_number, line_number, item_code, quantity, unit_price, net_amount,
           cost_amount, created_ts
    from invoice_lines
    union all
    select cn_number, 1, first_item, 1::decimal(18, 2), amount, amount, 0::decimal(18, 2),
           created_ts
    from credit_notes
    """,
    """
    create table payments as
    with totals as (
        select invoice_number, sum(net_amount) as total from invoice_lines group by invoice_number
    ),
    paid as (
        select
            d.invoice_number, d.currency, d.invoice_date, d.post_ts, t.total,
            greatest(d.post_ts::date + 1,
                     d.invoice_date + d.terms
                     + round(8 * nrm(d.invoice_number, 'pay_day'))::integer
                     + case when u(d.customer_number, 'late_payer') < {LATE_PAYER_SHARE}
                            then (20 + pick(d.invoice_number, 'late_days', 61))::integer
                            else 0 end) as pay_date0,
            u(d.invoice_number, 'split') < {SPLIT_PAYMENT_SHARE} as split
        from documents d join totals t using (invoice_number)
        where d.document_type = 'invoice' and d.cancel_ts is null and not d.stuck
          and u(d.invoice_number, 'paid') < {PAID_SHARE}
    ),
    parts as (
        select
            paid.*, k,
            weekday(case when split and k = 0
                         then greatest(post_ts::date + 1, pay_date0 - 14)
                         else pay_date0 end) as pay_date,
            case when not split then total
                 when k = 0 then money(total / 2)
                 else total - money(total / 2) end as amount
        from paid, range(2) r(k)
        where k = 0 or split
    )
    select
        'PAY-' || lpad(row_number() over (order by pay_date, invoice_number, k)::varchar, 8, '0')
            as payment_id,
        invoice_number, pay_date, amount::decimal(18, 2) as amount, currency,
        pay_date + work_time(invoice_number || k, 'pay_t') as paid_ts
    from parts
    """,
]

FPA_SQL = """
create table fpa as
with periods as (
    select m::date as period, row_number() over (order by m) as period_idx
    from generate_series(date_trunc('month', {start}), date_trunc('month', {last_drop_date}),
                         interval 1 month) g(m)
),
sales as (
    select s.period, sum(s.amount * fx.rate) as sales_eur
    from submissions s
    join fx_all fx on fx.d = s.submitted_ts::date and fx.currency = s.currency
    where s.kind = 0 and s.cat_idx = 0 and s.scope = 'Own'
    group by s.period
),
revenue as (
    select date_trunc('month', d.invoice_date)::date as period,
           sum(case when d.document_type = 'credit_note' then -1 else 1 end
               * l.net_amount * fx.rate) as revenue_eur
    from documents d
    join document_lines l using (invoice_number)
    join fx_all fx on fx.d = d.invoice_date and fx.currency = d.currency
    where d.cancel_ts is null and not d.stuck
    group by all
),
versions as (
    select periods.*, v
    from periods, range(5) r(v)
    where v < 4 or u(period_idx, 'fpa_first') < {ON_FIRST_FPA_VERSION_RATE}
)
select
    'FPA-' || strftime(period, '%Y-%m') || '-V' || (v + 1) as forecast_id,
    period,
    case v
        when 0 then (period - to_months(3))::date + 4
        when 1 then (period - to_months(2))::date + 4
        when 2 then (period - to_months(1))::date + 4
        when 3 then period - 1
        else period end as version_date,
    money(round((1 - {FINANCE_HAIRCUT}) * coalesce(sales_eur, 0)
                * exp((case when v = 3 then {FINANCE_NOISE} else 0.12 end)
                      * nrm(period_idx * 8 + v, 'fpa_bookings')) / 1000) * 1000)
        as bookings_forecast,
    money(round(coalesce(revenue_eur, 0)
                * exp((case when v = 3 then 0.06 else 0.1 end)
                      * nrm(period_idx * 8 + v, 'fpa_revenue')) / 1000) * 1000)
        as revenue_forecast
from versions
left join sales using (period)
left join revenue using (period)
"""


def statements(plan: Plan) -> list[tuple[str, str]]:
    """(label, SQL) in execution order, templates filled from the plan."""
    ctx = sql_context(plan)
    templated: list[tuple[str, str]] = [
        ("fx", FX_SQL),
        *(("people", sql) for sql in PEOPLE_SQL),
        ("accounts", ACCOUNTS_SQL),
        ("accounts", DUPLICATES_SQL),
        ("opportunities", OPPORTUNITIES_SQL),
        *(("opportunities", sql) for sql in OPPORTUNITY_DETAIL_SQL),
        ("meetings", MEETINGS_SQL),
        ("assessments", ASSESSMENTS_SQL),
        *(("forecasts", sql) for sql in FORECAST_SQL),
        ("customers", CUSTOMERS_SQL),
        *(("invoices", sql) for sql in INVOICES_SQL),
        ("finance forecast", FPA_SQL),
    ]
    return [
        *(("reference", sql) for sql in reference_sql()),
        ("macros", macros_sql(plan)),
        *((label, sql.format_map(ctx)) for label, sql in templated),
    ]
