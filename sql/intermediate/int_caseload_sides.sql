-- grain: one row per caseload group and side of the trailing period's start: worker x calendar month x office x tenure band x in_trailing
-- Each snapshot is placed once, in the office and band of its snapshot_date, and its cases and standard summed.
-- int_caseload_groups turns these sums into the groups of each period.
with snapshots as (
    select * from stg_caseload_snapshots
),

ranges as (
    select * from int_worker_band_ranges
),

offices as (
    select * from stg_offices
),

trailing as (
    select period_start_day as trailing_start_day, period_end_day as trailing_end_day
    from stg_periods
    where period_type = 'trailing_12m'
),

ranges_with_standard as (
    select
        r.worker,
        r.office_id,
        r.tenure_band,
        r.range_from,
        r.range_to,
        o.caseload_standard * r.fte as standard_cases,
        t.trailing_start_day,
        t.trailing_end_day
    from ranges as r
    inner join offices as o
        on o.office_id = r.office_id
    cross join trailing as t
),

placed as (
    select
        s.worker,
        s.snapshot_day,
        s.month_start_day,
        s.active_cases,
        r.office_id,
        r.tenure_band,
        r.standard_cases,
        s.snapshot_day between r.trailing_start_day and r.trailing_end_day as in_trailing
    from snapshots as s
    inner join ranges_with_standard as r
        on r.worker = s.worker and s.snapshot_day between r.range_from and r.range_to
),

final as (
    select
        p.worker,
        p.month_start_day,
        p.office_id,
        p.tenure_band,
        p.in_trailing,
        sum(p.active_cases) as cases_sum,
        sum(p.standard_cases) as standard_sum,
        count(*) as snapshots
    from placed as p
    group by 1, 2, 3, 4, 5
)

select * from final
