-- grain: one row per reporting period: each month of the history window, and the trailing 12 months
with source as (
    select * from src_periods
),

final as (
    select
        period_type,
        period_start,
        period_end,
        period_start_day,
        period_end_day,
        calendar_end_day,
        days
    from source
)

select * from final
