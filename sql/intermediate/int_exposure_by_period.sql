-- grain: one row per period and worker band range overlapping it: worker-days and whether employed on period_end
with ranges as (
    select * from stg_worker_band_ranges
),

periods as (
    select * from stg_periods
),

final as (
    select
        p.period_type,
        p.period_start_day,
        r.worker_key,
        r.office_id,
        r.tenure_band,
        least(r.range_to, p.period_end_day) - greatest(r.range_from, p.period_start_day) + 1 as exposure_days,
        case when r.range_to >= p.period_end_day then 1 else 0 end as employed_at_end
    from ranges as r
    inner join periods as p
        on r.range_from <= p.period_end_day and r.range_to >= p.period_start_day
)

select * from final
