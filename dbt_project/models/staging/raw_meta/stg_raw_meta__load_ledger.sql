with

source as (

    select * from {{ source('raw_meta', 'load_ledger') }}

),

-- loads withdrawn, or replaced by a corrected re-delivery of their file
-- in their drop (macro withdrawn_loads)
withdrawals as (

    select
        load_id as withdraws_load_id,
        withdrawn_at
    from {{ withdrawn_loads() }} as withdrawn_loads

),

renamed as (

    select
        source.load_id,
        source.run_id,
        source.system as source_system,
        source.object as source_object,
        source.drop_id,
        source.file_path as source_file,
        source.file_format,
        source.content_hash,
        source.status as load_status,
        source.rows_in_file,
        source.rows_loaded,
        source.rows_rejected,
        source.duplicate_rows,
        source.extra_columns,
        source.error as load_error,
        source.delimiter as csv_delimiter,
        source.encoding as file_encoding,
        source.withdraws_load_id,
        withdrawals.withdrawn_at,
        source.started_at,
        source.finished_at,
        withdrawals.withdraws_load_id is not null as is_withdrawn
    from source
    left join withdrawals
        on source.load_id = withdrawals.withdraws_load_id

)

select * from renamed
