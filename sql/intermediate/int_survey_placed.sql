-- grain: one row per period, response and measure: each scored measure placed in the periods its administered_on lies in
-- Computed once on its own: int_survey_latest_by_period reads it three times, and as a CTE it was planned and run
-- three times.
with measures as (
    select * from int_survey_measures
),

periods as (
    select * from stg_periods
),

final as (
    select p.period_type, p.period_start_day, l.*
    from measures as l
    inner join periods as p
        on p.period_type = 'month' and p.period_start_day = l.administered_month_day
    union all
    select p.period_type, p.period_start_day, l.*
    from measures as l
    inner join (select * from periods where period_type = 'trailing_12m') as p
        on l.administered_day between p.period_start_day and p.period_end_day
)

select * from final
