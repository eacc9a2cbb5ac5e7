-- grain: one row per period x office (or ALL) x tenure band (or ALL) with exposure_days > 0, before small-cell suppression
-- Every fact is placed in the cell of the worker's office and band on its date, then counted in the four
-- roll-ups (office x band, office x ALL, ALL x band, ALL x ALL). CONTRACT.md section 5.
with periods as (
    select * from stg_periods
),

settings as (
    select * from src_settings
),

rollup as (
    select * from (values (true, true), (true, false), (false, true), (false, false)) as r (by_office, by_band)
),

exposure_cells as (
    select
        e.period_type,
        e.period_start_day,
        case when r.by_office then e.office_id else 'ALL' end as cell_office,
        case when r.by_band then e.tenure_band else 'ALL' end as cell_band,
        e.exposure_days,
        e.employed_at_end
    from int_exposure_by_period as e
    cross join rollup as r
),

exposure as (
    select
        period_type,
        period_start_day,
        cell_office as office_id,
        cell_band as tenure_band,
        sum(exposure_days) as exposure_days,
        sum(employed_at_end) as headcount_end
    from exposure_cells
    group by period_type, period_start_day, cell_office, cell_band
),

separation_cells as (
    select
        p.period_type,
        p.period_start_day,
        case when r.by_office then s.office_id else 'ALL' end as cell_office,
        case when r.by_band then s.tenure_band else 'ALL' end as cell_band,
        case when s.end_reason = 'VOLUNTARY' then 1 else 0 end as voluntary
    from int_separations_placed as s
    inner join periods as p
        on s.event_day between p.period_start_day and p.period_end_day
    cross join rollup as r
),

separations as (
    select
        period_type,
        period_start_day,
        cell_office as office_id,
        cell_band as tenure_band,
        count(*) as separations,
        sum(voluntary) as voluntary_separations
    from separation_cells
    group by period_type, period_start_day, cell_office, cell_band
),

transfer_cells as (
    select
        p.period_type,
        p.period_start_day,
        case when r.by_office then t.office_id else 'ALL' end as cell_office,
        case when r.by_band then t.tenure_band else 'ALL' end as cell_band
    from int_transfers_out_placed as t
    inner join periods as p
        on t.event_day between p.period_start_day and p.period_end_day
    cross join rollup as r
),

transfers as (
    select
        period_type,
        period_start_day,
        cell_office as office_id,
        cell_band as tenure_band,
        count(*) as transfers_out
    from transfer_cells
    group by period_type, period_start_day, cell_office, cell_band
),

caseload_cells as (
    select
        c.period_type,
        c.period_start_day,
        case when r.by_office then c.office_id else 'ALL' end as cell_office,
        case when r.by_band then c.tenure_band else 'ALL' end as cell_band,
        c.mean_cases,
        case when c.mean_cases > c.mean_standard then 1.0 else 0.0 end as over_standard
    from int_caseload_groups as c
    cross join rollup as r
),

caseload as (
    select
        period_type,
        period_start_day,
        cell_office as office_id,
        cell_band as tenure_band,
        count(*) as caseload_worker_months,
        avg(mean_cases) as caseload_mean,
        avg(over_standard) as caseload_over_standard_share
    from caseload_cells
    group by period_type, period_start_day, cell_office, cell_band
),

supervision_cells as (
    select
        s.period_type,
        s.period_start_day,
        case when r.by_office then s.office_id else 'ALL' end as cell_office,
        case when r.by_band then s.tenure_band else 'ALL' end as cell_band,
        case
            when s.minutes >= t.supervision_minutes and s.individual_minutes >= t.supervision_individual_minutes then 1.0
            else 0.0
        end as compliant,
        cast(s.minutes as double) / 60.0 as hours
    from int_supervision_months as s
    cross join settings as t
    cross join rollup as r
),

supervision as (
    select
        period_type,
        period_start_day,
        cell_office as office_id,
        cell_band as tenure_band,
        count(*) as supervision_eligible_months,
        avg(compliant) as supervision_compliance,
        avg(hours) as supervision_hours_mean
    from supervision_cells
    group by period_type, period_start_day, cell_office, cell_band
),

survey_cells as (
    select
        l.period_type,
        l.period_start_day,
        case when r.by_office then l.office_id else 'ALL' end as cell_office,
        case when r.by_band then l.tenure_band else 'ALL' end as cell_band,
        l.measure,
        l.value,
        case
            when l.measure = 'sts_total' and l.value >= 38.0 then 1.0
            when l.measure = 'proqol_bo' and l.value >= 42.0 then 1.0
            when l.measure = 'brs_mean' and l.value < 3.0 then 1.0
            else 0.0
        end as flagged
    from int_survey_latest_by_period as l
    cross join rollup as r
),

survey as (
    select
        period_type,
        period_start_day,
        cell_office as office_id,
        cell_band as tenure_band,
        sum(case when measure = 'sts_total' then 1 else 0 end) as sts_respondents,
        avg(case when measure = 'sts_total' then value end) as sts_mean,
        avg(case when measure = 'sts_total' then flagged end) as sts_high_share,
        sum(case when measure = 'proqol_bo' then 1 else 0 end) as burnout_respondents,
        avg(case when measure = 'proqol_bo' then value end) as burnout_mean,
        avg(case when measure = 'proqol_bo' then flagged end) as burnout_high_share,
        sum(case when measure = 'brs_mean' then 1 else 0 end) as resilience_respondents,
        avg(case when measure = 'brs_mean' then value end) as resilience_mean,
        avg(case when measure = 'brs_mean' then flagged end) as resilience_low_share
    from survey_cells
    group by period_type, period_start_day, cell_office, cell_band
),

final as (
    select
        p.period_type,
        p.period_start,
        p.period_end,
        x.office_id,
        x.tenure_band,
        p.days,
        x.exposure_days,
        cast(x.exposure_days as double) / cast(p.days as double) as avg_headcount,
        x.headcount_end,
        coalesce(s.separations, 0) as separations,
        coalesce(s.voluntary_separations, 0) as voluntary_separations,
        coalesce(t.transfers_out, 0) as transfers_out,
        cast(coalesce(s.separations, 0) as double) * 365.25 / cast(x.exposure_days as double) as turnover_rate,
        cast(coalesce(s.voluntary_separations, 0) as double) * 365.25 / cast(x.exposure_days as double) as voluntary_turnover_rate,
        coalesce(c.caseload_worker_months, 0) as caseload_worker_months,
        c.caseload_mean,
        c.caseload_over_standard_share,
        coalesce(v.supervision_eligible_months, 0) as supervision_eligible_months,
        v.supervision_compliance,
        v.supervision_hours_mean,
        coalesce(q.sts_respondents, 0) as sts_respondents,
        q.sts_mean,
        q.sts_high_share,
        coalesce(q.burnout_respondents, 0) as burnout_respondents,
        q.burnout_mean,
        q.burnout_high_share,
        coalesce(q.resilience_respondents, 0) as resilience_respondents,
        q.resilience_mean,
        q.resilience_low_share
    from exposure as x
    inner join periods as p
        on p.period_type = x.period_type and p.period_start_day = x.period_start_day
    left join separations as s
        on s.period_type = x.period_type and s.period_start_day = x.period_start_day
        and s.office_id = x.office_id and s.tenure_band = x.tenure_band
    left join transfers as t
        on t.period_type = x.period_type and t.period_start_day = x.period_start_day
        and t.office_id = x.office_id and t.tenure_band = x.tenure_band
    left join caseload as c
        on c.period_type = x.period_type and c.period_start_day = x.period_start_day
        and c.office_id = x.office_id and c.tenure_band = x.tenure_band
    left join supervision as v
        on v.period_type = x.period_type and v.period_start_day = x.period_start_day
        and v.office_id = x.office_id and v.tenure_band = x.tenure_band
    left join survey as q
        on q.period_type = x.period_type and q.period_start_day = x.period_start_day
        and q.office_id = x.office_id and q.tenure_band = x.tenure_band
    where x.exposure_days > 0
)

select * from final
order by period_type, period_start, office_id, tenure_band
