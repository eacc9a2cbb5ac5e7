-- grain: one row per caseload group and side of the trailing period's start: worker x calendar month x office x tenure band x in_trailing
-- Each accepted snapshot of the history window is placed once, in the office, band and fte of its snapshot_date, and
-- its cases and standard (the office's caseload_standard times fte) summed (crates/pipeline/src/sql_inputs.rs).
with source as (
    select * from src_caseload_sides
),

final as (
    select
        worker,
        month_start_day,
        office_id,
        tenure_band,
        in_trailing,
        cases_sum,
        standard_sum,
        snapshots
    from source
)

select * from final
