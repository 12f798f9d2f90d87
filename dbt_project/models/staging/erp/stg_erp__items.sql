with

source as (

    select
        *,
        {{ latest_version_rank(['item_code']) }} as version_rank
    from {{ raw_rows('erp', 'items') }}

),

renamed as (

    select
        item_code,
        description as item_description,
        product_family,
        is_recurring,
        updated_at,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
