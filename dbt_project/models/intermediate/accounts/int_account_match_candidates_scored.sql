-- Review suggestions, never matches: for every unmatched ERP customer, the
-- non-deleted CRM accounts whose normalized name is most similar (string
-- similarity through a dispatched macro), best first, at most
-- var('match_suggestion_limit', 3) per customer and at least
-- var('match_suggestion_min_similarity', 0.8) similar.
-- Incremental per customer on DuckDB: only the customers whose candidates can
-- have changed are scored again (macros/incremental/account_match_candidates.sql).
{{ config(incremental_config(
    'customer_number',
    'affected_units__int_account_match_candidates_scored',
    ['{{ record_match_candidate_inputs() }}']
)) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
with

unmatched_customers as (

    select * from ({{ match_candidate_customers() }}) as customers
    {{- where_affected('customer_number') }}

),

accounts as (

    {{ match_candidate_accounts() }}

),

scored as (

    select
        unmatched_customers.customer_number,
        accounts.account_id,
        accounts.account_name,
        accounts.country_code as account_country_code,
        unmatched_customers.country_code as customer_country_code,
        {{ string_similarity('unmatched_customers.normalized_name', 'accounts.normalized_name') }} as name_similarity,
        {{ edit_distance('unmatched_customers.normalized_name', 'accounts.normalized_name') }} as name_edit_distance,
        coalesce(unmatched_customers.country_code = accounts.country_code, false) as is_same_country,
        coalesce(
            unmatched_customers.normalized_vat_number = accounts.normalized_vat_number, false
        ) as is_same_vat_number
    from unmatched_customers
    cross join accounts

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_number
            order by
                name_similarity desc,
                is_same_country desc,
                name_edit_distance asc,
                account_id asc
        ) as candidate_rank
    from scored
    where name_similarity >= {{ var('match_suggestion_min_similarity', 0.8) }}

),

final as (

    select
        customer_number,
        candidate_rank,
        account_id as candidate_crm_account_id,
        account_name as candidate_account_name,
        account_country_code as candidate_country_code,
        customer_country_code,
        cast(round(name_similarity, 4) as decimal(5, 4)) as name_similarity,
        name_edit_distance,
        is_same_country,
        is_same_vat_number
    from ranked
    where candidate_rank <= {{ var('match_suggestion_limit', 3) }}

)

select * from final
