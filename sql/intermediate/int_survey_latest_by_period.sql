-- grain: one row per period, worker and measure: the worker's latest response in the period with that score, placed in the office and band of its administered_on
with measures as (
    select * from int_survey_measures
),

periods as (
    select * from stg_periods
),

placed as (
    select p.period_type, p.period_start_day, l.*
    from measures as l
    inner join periods as p
        on p.period_type = 'month' and p.period_start_day = l.administered_month_day
    union all
    select p.period_type, p.period_start_day, l.*
    from measures as l
    inner join (select * from periods where period_type = 'trailing_12m') as p
        on l.administered_day between p.period_start_day and p.period_end_day
),

ranked as (
    select
        *,
        row_number() over (
            partition by period_type, period_start_day, worker_key, measure
            order by administered_day desc, response_id desc
        ) as recency
    from placed
),

final as (
    select
        period_type,
        period_start_day,
        worker_key,
        measure,
        office_id,
        tenure_band,
        value
    from ranked
    where recency = 1
)

select * from final
