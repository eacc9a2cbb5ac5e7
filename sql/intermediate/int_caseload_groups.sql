-- grain: one row per period and caseload group: worker x calendar month x office x tenure band of snapshots dated in the period
with snapshots as (
    select * from stg_caseload_snapshots
),

ranges as (
    select * from int_worker_band_ranges
),

offices as (
    select * from stg_offices
),

periods as (
    select * from stg_periods
),

placed as (
    select
        s.worker,
        s.snapshot_day,
        s.month_start_day,
        s.active_cases,
        r.office_id,
        r.tenure_band,
        o.caseload_standard * r.fte as standard_cases
    from snapshots as s
    inner join ranges as r
        on r.worker = s.worker and s.snapshot_day between r.range_from and r.range_to
    inner join offices as o
        on o.office_id = r.office_id
),

in_months as (
    select p.period_type, p.period_start_day, c.*
    from placed as c
    inner join periods as p
        on p.period_type = 'month' and p.period_start_day = c.month_start_day and c.snapshot_day <= p.period_end_day
),

in_trailing as (
    select p.period_type, p.period_start_day, c.*
    from placed as c
    inner join periods as p
        on p.period_type = 'trailing_12m' and c.snapshot_day between p.period_start_day and p.period_end_day
),

final as (
    select
        period_type,
        period_start_day,
        worker,
        month_start_day,
        office_id,
        tenure_band,
        avg(active_cases) as mean_cases,
        avg(standard_cases) as mean_standard
    from (select * from in_months union all select * from in_trailing) as grouped
    group by period_type, period_start_day, worker, month_start_day, office_id, tenure_band
)

select * from final
