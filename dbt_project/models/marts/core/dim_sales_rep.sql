-- One row per CRM user (every user is a rep, docs/kpi-rules.md), with region, manager,
-- active flag and a summary of their training history, plus the unknown member.
-- A user Id that owns deals, meetings, calls or quotas but is in no User row
-- (the User export left them out, or was never delivered) is a rep of its own
-- (is_in_user_export false): what is known of them by their Id still shows
-- at rep grain, under their Id, with no manager and not active.
-- The e-mail address is PII and is not published.
with

users as (

    select * from {{ ref('stg_crm__users') }}

),

record_owners as (

    select credited_owner_user_id as user_id
    from {{ ref('stg_crm__opportunities') }}
    where not is_deleted
    union
    select owner_user_id as user_id
    from {{ ref('stg_crm__opportunities') }}
    where not is_deleted
    union
    select owner_user_id as user_id
    from {{ ref('stg_crm__events') }}
    where not is_deleted
    union
    select owner_user_id as user_id
    from {{ ref('stg_crm__forecast_submissions') }}
    union
    select quota_owner_user_id as user_id
    from {{ ref('stg_crm__forecasting_quotas') }}

),

owners_not_in_users as (

    select record_owners.user_id
    from record_owners
    left join users
        on record_owners.user_id = users.user_id
    where
        record_owners.user_id is not null
        and users.user_id is null

),

training_completions as (

    select * from {{ ref('stg_crm__training_completions') }}

),

training_summary as (

    select
        user_id,
        count(*) as training_course_count,
        sum(
            case when course_type in ('Hybrid Selling', 'Virtual Selling') then 1 else 0 end
        ) as hybrid_virtual_course_count,
        min(
            case when course_type in ('Hybrid Selling', 'Virtual Selling') then completed_date end
        ) as first_hybrid_virtual_completed_date,
        max(completed_date) as last_training_completed_date
    from training_completions
    group by user_id

),

known_reps as (

    select
        {{ generate_surrogate_key(['users.user_id']) }} as sales_rep_key,
        users.user_id,
        users.user_name as rep_name,
        users.job_title,
        users.region,
        users.manager_user_id,
        managers.user_name as manager_name,
        case
            when managers.user_id is not null
                then {{ generate_surrogate_key(['managers.user_id']) }}
            else {{ unknown_member_key() }}
        end as manager_sales_rep_key,
        coalesce(users.is_active, false) as is_active,
        users.created_at,
        coalesce(training_summary.training_course_count, 0) as training_course_count,
        coalesce(training_summary.hybrid_virtual_course_count, 0) as hybrid_virtual_course_count,
        training_summary.first_hybrid_virtual_completed_date,
        training_summary.last_training_completed_date,
        coalesce(training_summary.hybrid_virtual_course_count, 0) > 0 as is_hybrid_virtual_trained,
        true as is_in_user_export,
        false as is_unknown_member
    from users
    left join users as managers
        on users.manager_user_id = managers.user_id
    left join training_summary
        on users.user_id = training_summary.user_id

),

reps_known_by_their_records as (

    select
        {{ generate_surrogate_key(['owners_not_in_users.user_id']) }} as sales_rep_key,
        owners_not_in_users.user_id,
        -- no name is known: the Id stands in for it
        owners_not_in_users.user_id as rep_name,
        cast(null as {{ dbt.type_string() }}) as job_title,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as manager_user_id,
        cast(null as {{ dbt.type_string() }}) as manager_name,
        {{ unknown_member_key() }} as manager_sales_rep_key,
        false as is_active,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        coalesce(training_summary.training_course_count, 0) as training_course_count,
        coalesce(training_summary.hybrid_virtual_course_count, 0) as hybrid_virtual_course_count,
        training_summary.first_hybrid_virtual_completed_date,
        training_summary.last_training_completed_date,
        coalesce(training_summary.hybrid_virtual_course_count, 0) > 0 as is_hybrid_virtual_trained,
        false as is_in_user_export,
        false as is_unknown_member
    from owners_not_in_users
    left join training_summary
        on owners_not_in_users.user_id = training_summary.user_id

),

unknown_member as (

    select
        {{ unknown_member_key() }} as sales_rep_key,
        cast(null as {{ dbt.type_string() }}) as user_id,
        'Unknown rep' as rep_name,
        cast(null as {{ dbt.type_string() }}) as job_title,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as manager_user_id,
        cast(null as {{ dbt.type_string() }}) as manager_name,
        {{ unknown_member_key() }} as manager_sales_rep_key,
        false as is_active,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        0 as training_course_count,
        0 as hybrid_virtual_course_count,
        cast(null as date) as first_hybrid_virtual_completed_date,
        cast(null as date) as last_training_completed_date,
        false as is_hybrid_virtual_trained,
        false as is_in_user_export,
        true as is_unknown_member

),

unioned as (

    select * from known_reps
    union all
    select * from reps_known_by_their_records
    union all
    select * from unknown_member

),

final as (

    select
        cast(sales_rep_key as {{ dbt.type_string() }}) as sales_rep_key,
        user_id,
        rep_name,
        job_title,
        region,
        manager_user_id,
        manager_name,
        cast(manager_sales_rep_key as {{ dbt.type_string() }}) as manager_sales_rep_key,
        is_active,
        created_at,
        cast(training_course_count as integer) as training_course_count,
        cast(hybrid_virtual_course_count as integer) as hybrid_virtual_course_count,
        first_hybrid_virtual_completed_date,
        last_training_completed_date,
        is_hybrid_virtual_trained,
        is_in_user_export,
        is_unknown_member
    from unioned

)

select * from final
