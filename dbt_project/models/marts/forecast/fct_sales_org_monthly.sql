{#- The measures of this fact and what each sums at its rows. -#}
{%- set summed = [
    'sales_forecast_amount', 'sales_forecast_best_case_amount', 'quota_amount',
    'bookings_amount', 'calibrated_sales_forecast_amount',
    'flow_won_amount', 'flow_lost_amount', 'flow_pushed_amount', 'flow_still_open_amount',
    'flow_won_amount_change', 'flow_added_amount',
] -%}
{%- set called = ['sales_forecast_amount', 'sales_forecast_best_case_amount', 'quota_amount'] -%}
{%- set measures = summed + ['open_pipeline_amount'] -%}
-- The sales organisation's numbers per month at three levels in one
-- additive fact, so that each forecasting KPI (docs/kpi-rules.md, forecasting at team
-- grain) has one metric that MetricFlow and the KPI tables compute at every
-- grain by summing rows:
--   rep rows (sales_rep_key set): the rep value of each KPI: the rep's own
--     calls (own(U)), own ForecastingQuota, the bookings, pipeline, flows and calibrated
--     call of the rep's own opportunities and calls;
--   team rows (team_key set, one per team of dim_sales_team): the team value
--     over its whole subtree: call(T) and quota(T) by the roll-up rule
--     (int_sales_org_calls_rolled), the other amounts summed over members;
--   balance rows (neither key): the company value minus the sums of the rep
--     and team rows. Teams overlap (a rep is in their manager's and their
--     manager's manager's team), so the company value is not a sum of teams;
--     the balance rows make every row of a month sum to the company value
--     (call(T) summed over top-level users, the quota of the targets seed
--     when ForecastingQuota has never been delivered; while User has never
--     been delivered the sum of the own calls and the targets seed). Group by team or rep
--     and ignore the group without a key.
-- Open pipeline sits on rows of its own per forecast category as of the
-- month's first day (month_start_forecast_category); other rows have none.
-- A value is NULL where the KPI has no data (no call or quota in the
-- subtree); amounts of opportunities are 0 when there are none.
with

months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

teams as (

    select * from {{ ref('dim_sales_team') }}

),

members as (

    select * from {{ ref('bridge_sales_team_member') }}

),

rolled as (

    select * from {{ ref('int_sales_org_calls_rolled') }}

),

calls as (

    select * from {{ ref('int_sales_forecasts_recorded') }}

),

quotas as (

    select * from {{ ref('int_sales_org_quotas_converted') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

pipeline_flows as (

    select * from {{ ref('fct_pipeline_flow_monthly') }}

),

calibrated as (

    select * from {{ ref('int_sales_forecasts_calibrated') }}

),

targets as (

    select * from {{ ref('fct_bookings_targets') }}

),

load_ledger as (

    select * from {{ ref('stg_raw_meta__load_ledger') }}

),

quota_delivery as (

    -- docs/kpi-rules.md quota: without any ForecastingQuota delivered, the company
    -- quota is the targets seed and team and rep quotas are NULL
    select count(*) > 0 as has_quotas
    from load_ledger
    where source_object = 'ForecastingQuota' and load_status = 'loaded' and not is_withdrawn

),

user_delivery as (

    -- docs/kpi-rules.md team grain: without any User delivered nobody is known
    -- to manage anybody: no team, and the company's calls and quota are not
    -- rolled up a hierarchy (a Team call or a manager's quota would add to the
    -- calls and quotas it stands for)
    {{ kpi_objects_delivered(['crm/User'], 'has_users') }}

),

top_level as (

    select sales_reps.sales_rep_key
    from sales_reps
    where not exists (
        select 1 from members
        where members.sales_rep_key = sales_reps.sales_rep_key and members.distance >= 1
    )

),

own_calls as (

    select
        calls.month,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as sales_rep_key,
        sum(case when calls.forecast_category = 'Commit' then calls.amount_reporting end) as commit_amount,
        sum(case when calls.forecast_category = 'Best Case' then calls.amount_reporting end) as best_case_amount
    from calls
    left join sales_reps
        on
            calls.owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    where calls.forecast_scope = 'Own'
    group by
        calls.month,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }})

),

own_quotas as (

    -- the rep value is U's own ForecastingQuota, like own(U) for the calls:
    -- the roll-up of a manager without one is the team's quota, not theirs
    select
        month,
        sales_rep_key,
        sum(quota_amount) as quota_amount
    from quotas
    group by month, sales_rep_key

),

rep_bookings as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }} as month,  -- noqa: RF04
        sales_rep_key,
        sum(coalesce(amount_reporting, 0)) as bookings_amount
    from opportunities
    where is_won
    group by
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }},
        sales_rep_key

),

rep_flows as (

    select
        month,
        sales_rep_key,
        sum(flow_won_amount) as flow_won_amount,
        sum(flow_lost_amount) as flow_lost_amount,
        sum(flow_pushed_amount) as flow_pushed_amount,
        sum(flow_still_open_amount) as flow_still_open_amount,
        sum(flow_won_amount_change) as flow_won_amount_change,
        sum(flow_added_amount) as flow_added_amount
    from pipeline_flows
    group by month, sales_rep_key

),

rep_pipeline as (

    select
        month,
        sales_rep_key,
        month_start_forecast_category,
        sum(opening_amount) as open_pipeline_amount
    from pipeline_flows
    where flow_bucket <> 'added'
    group by month, sales_rep_key, month_start_forecast_category

),

rep_rows as (

    select
        months.month,
        sales_reps.sales_rep_key,
        own_calls.commit_amount as sales_forecast_amount,
        own_calls.best_case_amount as sales_forecast_best_case_amount,
        calibrated.calibrated_amount as calibrated_sales_forecast_amount,
        case when quota_delivery.has_quotas then own_quotas.quota_amount end as quota_amount,
        coalesce(rep_bookings.bookings_amount, 0) as bookings_amount,
        coalesce(rep_flows.flow_won_amount, 0) as flow_won_amount,
        coalesce(rep_flows.flow_lost_amount, 0) as flow_lost_amount,
        coalesce(rep_flows.flow_pushed_amount, 0) as flow_pushed_amount,
        coalesce(rep_flows.flow_still_open_amount, 0) as flow_still_open_amount,
        coalesce(rep_flows.flow_won_amount_change, 0) as flow_won_amount_change,
        coalesce(rep_flows.flow_added_amount, 0) as flow_added_amount
    from months
    cross join sales_reps
    cross join quota_delivery
    left join own_calls
        on months.month = own_calls.month and sales_reps.sales_rep_key = own_calls.sales_rep_key
    left join own_quotas
        on months.month = own_quotas.month and sales_reps.sales_rep_key = own_quotas.sales_rep_key
    left join rep_bookings
        on months.month = rep_bookings.month and sales_reps.sales_rep_key = rep_bookings.sales_rep_key
    left join calibrated
        on months.month = calibrated.month and sales_reps.sales_rep_key = calibrated.sales_rep_key
    left join rep_flows
        on months.month = rep_flows.month and sales_reps.sales_rep_key = rep_flows.sales_rep_key

),

team_sums as (

    select
        rep_rows.month,
        members.team_key,
        sum(rep_rows.bookings_amount) as bookings_amount,
        sum(rep_rows.calibrated_sales_forecast_amount) as calibrated_sales_forecast_amount,
        sum(rep_rows.flow_won_amount) as flow_won_amount,
        sum(rep_rows.flow_lost_amount) as flow_lost_amount,
        sum(rep_rows.flow_pushed_amount) as flow_pushed_amount,
        sum(rep_rows.flow_still_open_amount) as flow_still_open_amount,
        sum(rep_rows.flow_won_amount_change) as flow_won_amount_change,
        sum(rep_rows.flow_added_amount) as flow_added_amount
    from rep_rows
    inner join members
        on rep_rows.sales_rep_key = members.sales_rep_key
    inner join teams
        on members.team_key = teams.team_key
    group by rep_rows.month, members.team_key

),

team_rows as (

    select
        team_sums.month,
        team_sums.team_key,
        rolled_commit.rolled_value as sales_forecast_amount,
        rolled_best_case.rolled_value as sales_forecast_best_case_amount,
        team_sums.bookings_amount,
        team_sums.calibrated_sales_forecast_amount,
        team_sums.flow_won_amount,
        team_sums.flow_lost_amount,
        team_sums.flow_pushed_amount,
        team_sums.flow_still_open_amount,
        team_sums.flow_won_amount_change,
        team_sums.flow_added_amount,
        case when quota_delivery.has_quotas then rolled_quota.rolled_value end as quota_amount
    from team_sums
    cross join quota_delivery
    {% for kind, alias in [
        ('commit', 'rolled_commit'), ('best_case', 'rolled_best_case'), ('quota', 'rolled_quota')
    ] -%}
        left join rolled as {{ alias }}
            on
                team_sums.month = {{ alias }}.month
                and team_sums.team_key = {{ alias }}.team_key
                and {{ alias }}.kind = '{{ kind }}'
    {% endfor %}

),

top_level_rolled as (

    select
        rolled.month,
        sum(case when rolled.kind = 'commit' then rolled.rolled_value end) as sales_forecast_amount,
        sum(case when rolled.kind = 'best_case' then rolled.rolled_value end) as sales_forecast_best_case_amount,
        sum(case when rolled.kind = 'quota' then rolled.rolled_value end) as quota_amount
    from rolled
    inner join top_level
        on rolled.team_key = top_level.sales_rep_key
    group by rolled.month

),

own_call_totals as (

    select
        month,
        sum(commit_amount) as sales_forecast_amount,
        sum(best_case_amount) as sales_forecast_best_case_amount
    from own_calls
    group by month

),

company_values as (

    select
        months.month,
        case
            when user_delivery.has_users then top_level_rolled.sales_forecast_amount
            else own_call_totals.sales_forecast_amount
        end as sales_forecast_amount,
        case
            when user_delivery.has_users then top_level_rolled.sales_forecast_best_case_amount
            else own_call_totals.sales_forecast_best_case_amount
        end as sales_forecast_best_case_amount,
        case
            when quota_delivery.has_quotas and user_delivery.has_users then top_level_rolled.quota_amount
            else targets.bookings_target_amount
        end as quota_amount
    from months
    cross join quota_delivery
    cross join user_delivery
    left join top_level_rolled
        on months.month = top_level_rolled.month
    left join own_call_totals
        on months.month = own_call_totals.month
    left join targets
        on months.month = targets.month

),

rep_totals as (

    select
        {% for measure in summed -%}
            sum({{ measure }}) as {{ measure }},
        {% endfor -%}
        month
    from rep_rows
    group by month

),

team_totals as (

    select
        {% for measure in summed -%}
            sum({{ measure }}) as {{ measure }},
        {% endfor -%}
        month
    from team_rows
    group by month

),

balance_rows as (

    -- company value - rep rows - team rows; the company value of the amounts
    -- summed over reps is the sum of the rep rows
    select
        months.month,
        company_values.sales_forecast_amount
        - coalesce(rep_totals.sales_forecast_amount, 0)
        - coalesce(team_totals.sales_forecast_amount, 0) as sales_forecast_amount,
        company_values.sales_forecast_best_case_amount
        - coalesce(rep_totals.sales_forecast_best_case_amount, 0)
        - coalesce(team_totals.sales_forecast_best_case_amount, 0) as sales_forecast_best_case_amount,
        company_values.quota_amount
        - coalesce(rep_totals.quota_amount, 0)
        - coalesce(team_totals.quota_amount, 0) as quota_amount,
        rep_totals.bookings_amount
        - coalesce(rep_totals.bookings_amount, 0)
        - coalesce(team_totals.bookings_amount, 0) as bookings_amount,
        rep_totals.calibrated_sales_forecast_amount
        - coalesce(rep_totals.calibrated_sales_forecast_amount, 0)
        - coalesce(team_totals.calibrated_sales_forecast_amount, 0) as calibrated_sales_forecast_amount,
        rep_totals.flow_won_amount
        - coalesce(rep_totals.flow_won_amount, 0)
        - coalesce(team_totals.flow_won_amount, 0) as flow_won_amount,
        rep_totals.flow_lost_amount
        - coalesce(rep_totals.flow_lost_amount, 0)
        - coalesce(team_totals.flow_lost_amount, 0) as flow_lost_amount,
        rep_totals.flow_pushed_amount
        - coalesce(rep_totals.flow_pushed_amount, 0)
        - coalesce(team_totals.flow_pushed_amount, 0) as flow_pushed_amount,
        rep_totals.flow_still_open_amount
        - coalesce(rep_totals.flow_still_open_amount, 0)
        - coalesce(team_totals.flow_still_open_amount, 0) as flow_still_open_amount,
        rep_totals.flow_won_amount_change
        - coalesce(rep_totals.flow_won_amount_change, 0)
        - coalesce(team_totals.flow_won_amount_change, 0) as flow_won_amount_change,
        rep_totals.flow_added_amount
        - coalesce(rep_totals.flow_added_amount, 0)
        - coalesce(team_totals.flow_added_amount, 0) as flow_added_amount
    from months
    left join company_values
        on months.month = company_values.month
    left join rep_totals
        on months.month = rep_totals.month
    left join team_totals
        on months.month = team_totals.month

),

team_pipeline as (

    select
        rep_pipeline.month,
        members.team_key,
        rep_pipeline.month_start_forecast_category,
        sum(rep_pipeline.open_pipeline_amount) as open_pipeline_amount
    from rep_pipeline
    inner join members
        on rep_pipeline.sales_rep_key = members.sales_rep_key
    inner join teams
        on members.team_key = teams.team_key
    group by rep_pipeline.month, members.team_key, rep_pipeline.month_start_forecast_category

),

pipeline_balance as (

    -- the company's open pipeline is the sum of the rep rows: minus the team rows
    select
        team_pipeline.month,
        team_pipeline.month_start_forecast_category,
        -sum(team_pipeline.open_pipeline_amount) as open_pipeline_amount
    from team_pipeline
    group by team_pipeline.month, team_pipeline.month_start_forecast_category

),

unioned as (

    select
        month,
        'rep' as row_level,
        cast(null as {{ dbt.type_string() }}) as team_key,
        sales_rep_key,
        cast(null as {{ dbt.type_string() }}) as month_start_forecast_category,
        {% for measure in summed -%}
            {{ measure }},
        {% endfor -%}
        cast(null as decimal(18, 2)) as open_pipeline_amount
    from rep_rows
    union all
    select
        month,
        'team' as row_level,
        team_key,
        cast(null as {{ dbt.type_string() }}) as sales_rep_key,
        cast(null as {{ dbt.type_string() }}) as month_start_forecast_category,
        {% for measure in summed -%}
            {{ measure }},
        {% endfor -%}
        cast(null as decimal(18, 2)) as open_pipeline_amount
    from team_rows
    union all
    select
        month,
        'balance' as row_level,
        cast(null as {{ dbt.type_string() }}) as team_key,
        cast(null as {{ dbt.type_string() }}) as sales_rep_key,
        cast(null as {{ dbt.type_string() }}) as month_start_forecast_category,
        {% for measure in summed -%}
            {{ measure }},
        {% endfor -%}
        cast(null as decimal(18, 2)) as open_pipeline_amount
    from balance_rows
    {% for level, relation, team, rep in [
        ('rep', 'rep_pipeline', 'null', 'sales_rep_key'),
        ('team', 'team_pipeline', 'team_key', 'null'),
        ('balance', 'pipeline_balance', 'null', 'null'),
    ] %}
        union all
        select
            month,
            '{{ level }}' as row_level,
            cast({{ team }} as {{ dbt.type_string() }}) as team_key,
            cast({{ rep }} as {{ dbt.type_string() }}) as sales_rep_key,
            month_start_forecast_category,
            {% for measure in summed -%}
                cast(null as decimal(18, 2)) as {{ measure }},
            {% endfor -%}
            open_pipeline_amount
        from {{ relation }}
    {% endfor %}

),

final as (

    select
        {{ generate_surrogate_key(
            ['month', 'row_level', 'team_key', 'sales_rep_key', 'month_start_forecast_category']
        ) }} as sales_org_row_key,
        cast(month as date) as month,
        row_level,
        team_key,
        sales_rep_key,
        {% for measure in measures -%}
            cast({{ measure }} as decimal(18, 2)) as {{ measure }},
        {% endfor -%}
        month_start_forecast_category
    from unioned

)

select * from final
