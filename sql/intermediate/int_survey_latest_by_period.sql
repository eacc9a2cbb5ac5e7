-- grain: one row per period, worker and measure: the worker's latest response in the period with that score, placed in the office and band of its administered_on
-- Latest: the largest administered_day, then the largest response_id (found by two aggregations: a row_number()
-- window over ~900 k tiny partitions took several times longer).
with placed as (
    select * from int_survey_placed
),

latest_day as (
    select period_type, period_start_day, worker_key, measure, max(administered_day) as administered_day
    from placed
    group by period_type, period_start_day, worker_key, measure
),

latest_response as (
    select p.period_type, p.period_start_day, p.worker_key, p.measure, max(p.response_id) as response_id
    from placed as p
    inner join latest_day as d
        on d.period_type = p.period_type and d.period_start_day = p.period_start_day
        and d.worker_key = p.worker_key and d.measure = p.measure and d.administered_day = p.administered_day
    group by p.period_type, p.period_start_day, p.worker_key, p.measure
),

final as (
    select
        p.period_type,
        p.period_start_day,
        p.worker_key,
        p.measure,
        p.office_id,
        p.tenure_band,
        p.value
    from placed as p
    inner join latest_response as l
        on l.period_type = p.period_type and l.period_start_day = p.period_start_day
        and l.worker_key = p.worker_key and l.measure = p.measure and l.response_id = p.response_id
)

select * from final
