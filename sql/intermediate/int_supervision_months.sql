-- grain: one row per period and supervision-eligible worker month (a calendar month wholly in the period, employed every day), placed on the month's last day
with months as (
    select * from worker_months
),

periods as (
    select * from stg_periods
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

eligible as (
    select * from per_month
    where days_employed = month_end_day - month_start_day + 1
),

final as (
    select p.period_type, p.period_start_day, e.worker_key, e.month_start_day, e.office_id, e.tenure_band, e.minutes, e.individual_minutes
    from eligible as e
    inner join periods as p
        on p.period_type = 'month' and p.period_start_day = e.month_start_day and e.month_end_day <= p.period_end_day
    union all
    select p.period_type, p.period_start_day, e.worker_key, e.month_start_day, e.office_id, e.tenure_band, e.minutes, e.individual_minutes
    from eligible as e
    inner join (select * from periods where period_type = 'trailing_12m') as p
        on e.month_start_day >= p.period_start_day and e.month_end_day <= p.period_end_day
)

select * from final
