-- grain: one row per period and caseload group: worker x calendar month x office x tenure band of snapshots dated in the period
-- A monthly group is both sides of the trailing start together, a trailing group the side inside the period (only
-- the month holding the trailing start can have snapshots outside it). Accepted snapshots are never after as-of
-- (FUTURE_DATED), so every monthly group lies wholly in its monthly period.
with sides as (
    select * from stg_caseload_sides
),

periods as (
    select * from stg_periods
),

monthly as (
    select
        worker,
        month_start_day,
        office_id,
        tenure_band,
        sum(cases_sum) as cases_sum,
        sum(standard_sum) as standard_sum,
        sum(snapshots) as snapshots
    from sides
    group by worker, month_start_day, office_id, tenure_band
),

in_months as (
    select p.period_type, p.period_start_day, m.*
    from monthly as m
    inner join periods as p
        on p.period_type = 'month' and p.period_start_day = m.month_start_day
),

in_trailing as (
    select p.period_type, p.period_start_day, s.worker, s.month_start_day, s.office_id, s.tenure_band, s.cases_sum, s.standard_sum, s.snapshots
    from sides as s
    inner join periods as p
        on p.period_type = 'trailing_12m'
    where s.in_trailing
),

final as (
    select
        period_type,
        period_start_day,
        worker,
        month_start_day,
        office_id,
        tenure_band,
        cases_sum / cast(snapshots as double) as mean_cases,
        standard_sum / cast(snapshots as double) as mean_standard
    from (select * from in_months union all select * from in_trailing) as grouped
)

select * from final
