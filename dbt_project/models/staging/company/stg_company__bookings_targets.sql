with

source as (

    select * from {{ source('company', 'bookings_targets') }}

),

renamed as (

    select
        cast(month as date) as month,  -- noqa: RF04
        cast(bookings_target as decimal(18, 2)) as bookings_target,
        {{ normalize_code('currency') }} as currency
    from source

)

select * from renamed
