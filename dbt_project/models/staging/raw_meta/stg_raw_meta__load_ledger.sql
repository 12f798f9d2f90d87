with

source as (

    select * from {{ source('raw_meta', 'load_ledger') }}

),

renamed as (

    select
        load_id,
        run_id,
        system as source_system,
        object as source_object,
        drop_id,
        file_path as source_file,
        file_format,
        content_hash,
        status as load_status,
        rows_in_file,
        rows_loaded,
        rows_rejected,
        duplicate_rows,
        extra_columns,
        error as load_error,
        started_at,
        finished_at
    from source

)

select * from renamed
