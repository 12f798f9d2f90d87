with

source as (

    select * from {{ raw_rows('raw_meta', 'load_rejects', 'load_id') }}

),

renamed as (

    select
        {{ generate_surrogate_key(['load_id', 'line_number', 'reason']) }} as load_reject_id,
        load_id,
        system as source_system,
        object as source_object,
        drop_id,
        file_path as source_file,
        line_number as source_line_number,
        reason as reject_reason,
        detail as reject_detail,
        -- The raw text values of the row as JSON, keyed by the file's column names.
        raw_values,
        rejected_at
    from source

)

select * from renamed
