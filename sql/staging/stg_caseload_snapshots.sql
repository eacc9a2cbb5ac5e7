-- grain: one row per accepted caseload snapshot
with source as (
    select * from src_caseload_snapshots
),

final as (
    select
        worker,
        snapshot_day,
        month_start_day,
        cast(active_cases as double) as active_cases
    from source
)

select * from final
