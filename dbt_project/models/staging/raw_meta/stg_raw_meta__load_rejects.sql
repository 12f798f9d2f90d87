with

source as (

    select * from {{ source('raw_meta', 'load_rejects') }}

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
        -- row_rejected (the row did not load), field_nulled (it loaded with
        -- the optional fields in reject_fields NULL) or readmitted (loaded
        -- later, once the mapping seed knew its value)
        coalesce(action, 'row_rejected') as reject_action,
        -- the contract columns with a problem, comma-separated
        fields as reject_fields,
        -- every problem as JSON: field, reason, action and the value as written
        problems as reject_problems,
        readmitted_at,
        -- The raw text values of the row as JSON, keyed by the file's column names.
        raw_values,
        rejected_at
    from source

)

select * from renamed
