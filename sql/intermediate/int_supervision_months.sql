-- grain: one row per period and supervision-eligible worker month (a calendar month wholly in the period, employed every day), placed on the month's last day
with eligible as (
    select * from int_supervision_eligible_months
),

periods as (
    select * from stg_periods
),

final as (
    select p.period_type, p.period_start_day, e.worker_key, e.month_start_day, e.office_id, e.tenure_band, e.minutes, e.individual_minutes, e.retention_minutes
    from eligible as e
    inner join periods as p
        on p.period_type = 'month' and p.period_start_day = e.month_start_day and e.month_end_day <= p.period_end_day
    union all
    select p.period_type, p.period_start_day, e.worker_key, e.month_start_day, e.office_id, e.tenure_band, e.minutes, e.individual_minutes, e.retention_minutes
    from eligible as e
    inner join (select * from periods where period_type = 'trailing_12m') as p
        on e.month_start_day >= p.period_start_day and e.month_end_day <= p.period_end_day
)

select * from final
