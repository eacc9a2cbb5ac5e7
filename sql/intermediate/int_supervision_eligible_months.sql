-- grain: one row per worker and calendar month in which the worker was employed every day (any offices, any spells), from the month of the earliest accepted supervision session on
-- The office and band are those of the row carrying the month's minutes: the office held on the worker's last
-- employed day of the month (worker_months, CONTRACT.md section 4). Months before the supervision extract begins
-- are not eligible (section 5): they read as no data, not as months without supervision.
with months as (
    select * from worker_months
),

settings as (
    select * from src_settings
),

calendar_months as (
    select period_start_day as month_start_day, calendar_end_day as month_end_day
    from stg_periods
    where period_type = 'month'
),

per_month as (
    select
        worker_key,
        arrow_cast(month, 'Int32') as month_start_day,
        sum(days_employed) as days_employed,
        max(supervision_minutes) as minutes,
        max(individual_minutes) as individual_minutes,
        max(retention_minutes) as retention_minutes,
        max(case when supervision_minutes is not null then office_id end) as office_id,
        max(case when supervision_minutes is not null then tenure_band end) as tenure_band
    from months
    group by worker_key, month
),

final as (
    select
        m.worker_key,
        m.month_start_day,
        c.month_end_day,
        m.days_employed,
        m.minutes,
        m.individual_minutes,
        m.retention_minutes,
        m.office_id,
        m.tenure_band
    from per_month as m
    inner join calendar_months as c
        on c.month_start_day = m.month_start_day
    cross join settings as s
    where m.days_employed = c.month_end_day - c.month_start_day + 1
        and m.month_start_day >= s.supervision_first_month_day
)

select * from final
