-- grain: one row per worker and calendar month in which the worker was employed every day (any offices, any spells)
-- The office and band are those of the row carrying the month's minutes: the office held on the worker's last
-- employed day of the month (worker_months, CONTRACT.md section 4).
with months as (
    select * from worker_months
),

per_month as (
    select
        worker_key,
        arrow_cast(month, 'Int32') as month_start_day,
        arrow_cast(arrow_cast(month + interval '1 month', 'Date32'), 'Int32') - 1 as month_end_day,
        sum(days_employed) as days_employed,
        max(supervision_minutes) as minutes,
        max(individual_minutes) as individual_minutes,
        max(case when supervision_minutes is not null then office_id end) as office_id,
        max(case when supervision_minutes is not null then tenure_band end) as tenure_band
    from months
    group by worker_key, month
),

final as (
    select * from per_month
    where days_employed = month_end_day - month_start_day + 1
)

select * from final
