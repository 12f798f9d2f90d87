-- For data stewards: one row per ERP customer that matched no CRM account,
-- with its invoiced revenue and up to three CRM accounts whose names are the
-- most similar. Suggestions only: a steward confirms one by adding a row to
-- the company settings file account_match_overrides.csv; nothing here changes a match.
-- A customer number that posted documents carry but the ERP customer extract
-- (customers.csv) does not is listed too: its revenue is unmatched revenue like
-- any other, and no rule (an override neither) can match a customer without its
-- row, so the remedy is to have the ERP export it.
with

bridge as (

    select * from {{ ref('bridge_account_erp_customer') }}

),

customers as (

    select * from {{ ref('int_erp_customers_normalized') }}

),

crm_accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

candidates as (

    select * from {{ ref('int_account_match_candidates_scored') }}

),

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

customer_revenue as (

    select
        erp_customer_number,
        sum(net_amount_reporting) as invoiced_revenue_reporting,
        count(distinct invoice_number) as document_count,
        min(invoice_date) as first_invoice_date,
        max(invoice_date) as last_invoice_date
    from invoice_lines
    group by erp_customer_number

),

company_revenue as (

    select sum(net_amount_reporting) as invoiced_revenue_reporting
    from invoice_lines

),

unmatched as (

    select
        bridge.erp_customer_number,
        bridge.erp_customer_name,
        customers.country_code,
        customers.normalized_vat_number,
        customers.crm_account_id_hint,
        case
            when customers.crm_account_id_hint is null then 'no hint'
            when crm_accounts.account_id is null then 'hint names no CRM account'
            when crm_accounts.is_deleted then 'hint names a deleted CRM account'
            else 'hint names a valid account but an earlier rule decided'
        end as hint_status
    from bridge
    inner join customers
        on bridge.erp_customer_number = customers.customer_number
    left join crm_accounts
        on customers.crm_account_id_hint = crm_accounts.account_id
    where not bridge.is_matched

    union all

    select
        customer_revenue.erp_customer_number,
        cast(null as {{ dbt.type_string() }}) as erp_customer_name,
        cast(null as {{ dbt.type_string() }}) as country_code,
        cast(null as {{ dbt.type_string() }}) as normalized_vat_number,
        cast(null as {{ dbt.type_string() }}) as crm_account_id_hint,
        'customer not in the ERP customer extract' as hint_status
    from customer_revenue
    left join bridge
        on customer_revenue.erp_customer_number = bridge.erp_customer_number
    where bridge.erp_customer_number is null

),

final as (

    select
        cast(unmatched.erp_customer_number as {{ dbt.type_string() }}) as erp_customer_number,
        unmatched.erp_customer_name,
        unmatched.country_code,
        unmatched.normalized_vat_number,
        unmatched.crm_account_id_hint,
        unmatched.hint_status,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(coalesce(customer_revenue.invoiced_revenue_reporting, 0) as decimal(18, 2))
            as invoiced_revenue_reporting,
        {{ double_to_decimal(
            'cast(coalesce(customer_revenue.invoiced_revenue_reporting, 0) as double)'
            ~ ' / cast(nullif(company_revenue.invoiced_revenue_reporting, 0) as double)',
            12, 6
        ) }} as share_of_company_revenue,
        cast(coalesce(customer_revenue.document_count, 0) as bigint) as document_count,
        customer_revenue.first_invoice_date,
        customer_revenue.last_invoice_date,
        {% for rank in [1, 2, 3] %}
            candidate_{{ rank }}.candidate_crm_account_id as candidate_{{ rank }}_crm_account_id,
            candidate_{{ rank }}.candidate_account_name as candidate_{{ rank }}_account_name,
            candidate_{{ rank }}.name_similarity as candidate_{{ rank }}_name_similarity,
            candidate_{{ rank }}.is_same_country as candidate_{{ rank }}_is_same_country,
        {% endfor %}
        candidate_1.candidate_crm_account_id is not null as has_suggestion
    from unmatched
    cross join company_revenue
    left join customer_revenue
        on unmatched.erp_customer_number = customer_revenue.erp_customer_number
    {% for rank in [1, 2, 3] %}
        left join candidates as candidate_{{ rank }}
            on
                unmatched.erp_customer_number = candidate_{{ rank }}.customer_number
                and candidate_{{ rank }}.candidate_rank = {{ rank }}
    {% endfor %}

)

select * from final
