-- grain: one row per period, office and tenure band with exposure days and headcount at the period end
-- The office_indicators mart's per-cell sums of one fact family, computed on their own so that the int_exposure_by_period rows
-- are freed as soon as they are summed rather than held until the mart runs.
with source as (
    select * from int_exposure_by_period
),

final as (
    select
        period_type,
        period_start_day,
        office_id,
        tenure_band,
        sum(exposure_days) as exposure_days,
        sum(employed_at_end) as headcount_end
    from source
    group by period_type, period_start_day, office_id, tenure_band
)

select * from final
