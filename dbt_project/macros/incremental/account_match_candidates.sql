{#- int_account_match_candidates_scored, incremental per ERP customer: the
    fuzzy candidates are scored only for the unmatched customers whose
    candidates can have changed since the last build. Its inputs are two
    sets, kept after every build in incremental_state (post-hook):

      * the unmatched customers with what the scoring reads of them;
      * the CRM accounts with what the scoring reads of them.

    A customer is affected when its row in the first set is new, changed or
    gone (a new or changed customer, one matched or unmatched since, a
    changed lookup such as the country aliases), when an account it holds a
    candidate of changed or went, or when a new or changed account is now
    similar enough to be its candidate. Any other customer keeps exactly its
    candidates: none of what ranks them changed. The similarity threshold and
    the number of candidates are vars: after changing one, build the model
    with --full-refresh. -#}

{% macro match_candidate_customers() -%}
    select
        customers.customer_number,
        customers.normalized_name,
        customers.country_code,
        customers.normalized_vat_number
    from {{ ref('int_erp_customers_normalized') }} as customers
    inner join {{ ref('int_erp_customers_matched') }} as matched_customers
        on customers.customer_number = matched_customers.customer_number
    where
        matched_customers.crm_account_id is null
        and customers.normalized_name is not null
{%- endmacro %}


{% macro match_candidate_accounts() -%}
    select
        account_id,
        account_name,
        normalized_name,
        country_code,
        normalized_vat_number
    from {{ ref('int_crm_accounts_normalized') }}
    where normalized_name is not null
{%- endmacro %}


{% macro match_candidate_inputs_relation(name) -%}
    {{ return(api.Relation.create(
        database=target.database if target.type == 'duckdb' else none, schema='incremental_state',
        identifier=this.identifier ~ '__' ~ name
    )) }}
{%- endmacro %}


{#- Post-hook: the inputs of this build, for the next one. -#}
{% macro record_match_candidate_inputs() -%}
    {%- if config.get('materialized') == 'incremental' -%}
        create or replace table {{ match_candidate_inputs_relation('customers') }} as
        {{ match_candidate_customers() }};
        create or replace table {{ match_candidate_inputs_relation('accounts') }} as
        {{ match_candidate_accounts() }}
    {%- endif -%}
{%- endmacro %}


{% macro affected_units__int_account_match_candidates_scored() -%}
    {%- set customers_then = match_candidate_inputs_relation('customers') -%}
    {%- set accounts_then = match_candidate_inputs_relation('accounts') -%}
    {%- set recorded = incremental_state_columns(customers_then)
        and incremental_state_columns(accounts_then) -%}
    {%- if not recorded -%}
        {#- no inputs recorded (a warehouse built before they were): every customer -#}
        select customer_number from {{ ref('int_erp_customers_normalized') }}
    {%- else -%}
    with

    customers_now as (

        {{ match_candidate_customers() }}

    ),

    accounts_now as (

        {{ match_candidate_accounts() }}

    ),

    changed_customers as (

        (select * from customers_now except select * from {{ customers_then }})
        union all
        (select * from {{ customers_then }} except select * from customers_now)

    ),

    changed_accounts as (

        (select * from accounts_now except select * from {{ accounts_then }})
        union all
        (select * from {{ accounts_then }} except select * from accounts_now)

    ),

    changed_accounts_now as (

        select accounts_now.*
        from accounts_now
        where accounts_now.account_id in (select account_id from changed_accounts)

    )

    select customer_number from changed_customers
    union
    select stored_candidates.customer_number
    from {{ this }} as stored_candidates
    where stored_candidates.candidate_crm_account_id in (select account_id from changed_accounts)
    union
    select customers_now.customer_number
    from customers_now
    cross join changed_accounts_now
    where
        {{ string_similarity('customers_now.normalized_name', 'changed_accounts_now.normalized_name') }}
        >= {{ var('match_suggestion_min_similarity', 0.8) }}
    {%- endif -%}
{%- endmacro %}
