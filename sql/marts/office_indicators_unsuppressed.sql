-- grain: one row per period x office (or ALL) x tenure band (or ALL) with exposure_days > 0, before small-cell suppression
-- Every fact is placed in the cell of the worker's office and band on its date and summed per period, office and
-- band (`*_placed`, then side by side in `cells`: a worker with a fact in a cell was employed there that day, so
-- every such cell has exposure); those sums are added up in the four roll-ups (office x band, office x ALL,
-- ALL x band, ALL x ALL), and each mean is a sum over a count taken last. CONTRACT.md section 5.
with periods as (
    select * from stg_periods
),

rollup as (
    select * from (values (true, true), (true, false), (false, true), (false, false)) as r (by_office, by_band)
),

exposure_placed as (
    select * from int_cell_exposure
),

separations_placed as (
    select
        p.period_type,
        p.period_start_day,
        s.office_id,
        s.tenure_band,
        count(*) as separations,
        sum(case when s.end_reason = 'VOLUNTARY' then 1 else 0 end) as voluntary_separations
    from int_separations_placed as s
    inner join periods as p
        on s.event_day between p.period_start_day and p.period_end_day
    group by p.period_type, p.period_start_day, s.office_id, s.tenure_band
),

transfers_placed as (
    select
        p.period_type,
        p.period_start_day,
        t.office_id,
        t.tenure_band,
        count(*) as transfers_out
    from int_transfers_out_placed as t
    inner join periods as p
        on t.event_day between p.period_start_day and p.period_end_day
    group by p.period_type, p.period_start_day, t.office_id, t.tenure_band
),

caseload_placed as (
    select * from int_cell_caseload
),

supervision_placed as (
    select * from int_cell_supervision
),

survey_placed as (
    select * from int_cell_survey
),

cells as (
    select
        x.period_type,
        x.period_start_day,
        x.office_id,
        x.tenure_band,
        x.exposure_days,
        x.headcount_end,
        s.separations,
        s.voluntary_separations,
        t.transfers_out,
        c.caseload_worker_months,
        c.mean_cases_sum,
        c.over_standard,
        v.supervision_eligible_months,
        v.compliant,
        v.minutes,
        v.retention_minutes,
        q.sts_respondents,
        q.sts_sum,
        q.sts_high,
        q.burnout_respondents,
        q.burnout_sum,
        q.burnout_high,
        q.resilience_respondents,
        q.resilience_sum,
        q.resilience_low
    from exposure_placed as x
    left join separations_placed as s
        on s.period_type = x.period_type and s.period_start_day = x.period_start_day
        and s.office_id = x.office_id and s.tenure_band = x.tenure_band
    left join transfers_placed as t
        on t.period_type = x.period_type and t.period_start_day = x.period_start_day
        and t.office_id = x.office_id and t.tenure_band = x.tenure_band
    left join caseload_placed as c
        on c.period_type = x.period_type and c.period_start_day = x.period_start_day
        and c.office_id = x.office_id and c.tenure_band = x.tenure_band
    left join supervision_placed as v
        on v.period_type = x.period_type and v.period_start_day = x.period_start_day
        and v.office_id = x.office_id and v.tenure_band = x.tenure_band
    left join survey_placed as q
        on q.period_type = x.period_type and q.period_start_day = x.period_start_day
        and q.office_id = x.office_id and q.tenure_band = x.tenure_band
),

rolled_up as (
    select
        c.period_type,
        c.period_start_day,
        case when r.by_office then c.office_id else 'ALL' end as office_id,
        case when r.by_band then c.tenure_band else 'ALL' end as tenure_band,
        sum(c.exposure_days) as exposure_days,
        sum(c.headcount_end) as headcount_end,
        coalesce(sum(c.separations), 0) as separations,
        coalesce(sum(c.voluntary_separations), 0) as voluntary_separations,
        coalesce(sum(c.transfers_out), 0) as transfers_out,
        coalesce(sum(c.caseload_worker_months), 0) as caseload_worker_months,
        sum(c.mean_cases_sum) as mean_cases_sum,
        sum(c.over_standard) as over_standard,
        coalesce(sum(c.supervision_eligible_months), 0) as supervision_eligible_months,
        sum(c.compliant) as compliant,
        sum(c.minutes) as minutes,
        sum(c.retention_minutes) as retention_minutes,
        coalesce(sum(c.sts_respondents), 0) as sts_respondents,
        sum(c.sts_sum) as sts_sum,
        sum(c.sts_high) as sts_high,
        coalesce(sum(c.burnout_respondents), 0) as burnout_respondents,
        sum(c.burnout_sum) as burnout_sum,
        sum(c.burnout_high) as burnout_high,
        coalesce(sum(c.resilience_respondents), 0) as resilience_respondents,
        sum(c.resilience_sum) as resilience_sum,
        sum(c.resilience_low) as resilience_low
    from rollup as r
    cross join cells as c
    group by 1, 2, 3, 4
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
        x.separations,
        x.voluntary_separations,
        x.transfers_out,
        cast(x.separations as double) * 365.25 / cast(x.exposure_days as double) as turnover_rate,
        cast(x.voluntary_separations as double) * 365.25 / cast(x.exposure_days as double) as voluntary_turnover_rate,
        x.caseload_worker_months,
        x.mean_cases_sum / cast(nullif(x.caseload_worker_months, 0) as double) as caseload_mean,
        cast(x.over_standard as double) / cast(nullif(x.caseload_worker_months, 0) as double) as caseload_over_standard_share,
        x.supervision_eligible_months,
        cast(x.compliant as double) / cast(nullif(x.supervision_eligible_months, 0) as double) as supervision_compliance,
        cast(x.minutes as double) / 60.0 / cast(nullif(x.supervision_eligible_months, 0) as double) as supervision_hours_mean,
        cast(x.retention_minutes as double) / cast(nullif(x.minutes, 0) as double) as retention_focus_share,
        x.sts_respondents,
        x.sts_sum / cast(nullif(x.sts_respondents, 0) as double) as sts_mean,
        cast(x.sts_high as double) / cast(nullif(x.sts_respondents, 0) as double) as sts_high_share,
        x.burnout_respondents,
        x.burnout_sum / cast(nullif(x.burnout_respondents, 0) as double) as burnout_mean,
        cast(x.burnout_high as double) / cast(nullif(x.burnout_respondents, 0) as double) as burnout_high_share,
        x.resilience_respondents,
        x.resilience_sum / cast(nullif(x.resilience_respondents, 0) as double) as resilience_mean,
        cast(x.resilience_low as double) / cast(nullif(x.resilience_respondents, 0) as double) as resilience_low_share
    from rolled_up as x
    inner join periods as p
        on p.period_type = x.period_type and p.period_start_day = x.period_start_day
    where x.exposure_days > 0
)

select * from final
order by period_type, period_start, office_id, tenure_band
