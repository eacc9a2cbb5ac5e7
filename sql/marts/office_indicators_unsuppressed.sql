-- grain: one row per period x office (or ALL) x tenure band (or ALL) with exposure_days > 0, before small-cell suppression
-- Every fact is placed in the cell of the worker's office and band on its date and summed per period, office and
-- band (`*_placed`); those sums are then added up in the four roll-ups (office x band, office x ALL, ALL x band,
-- ALL x ALL), and each mean is a sum over a count taken last. CONTRACT.md section 5.
with periods as (
    select * from stg_periods
),

settings as (
    select * from src_settings
),

rollup as (
    select * from (values (true, true), (true, false), (false, true), (false, false)) as r (by_office, by_band)
),

exposure_placed as (
    select
        period_type,
        period_start_day,
        office_id,
        tenure_band,
        sum(exposure_days) as exposure_days,
        sum(employed_at_end) as headcount_end
    from int_exposure_by_period
    group by period_type, period_start_day, office_id, tenure_band
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
    select
        period_type,
        period_start_day,
        office_id,
        tenure_band,
        count(*) as caseload_worker_months,
        sum(mean_cases) as mean_cases_sum,
        sum(case when mean_cases > mean_standard then 1 else 0 end) as over_standard
    from int_caseload_groups
    group by period_type, period_start_day, office_id, tenure_band
),

supervision_placed as (
    select
        s.period_type,
        s.period_start_day,
        s.office_id,
        s.tenure_band,
        count(*) as supervision_eligible_months,
        sum(
            case
                when s.minutes >= t.supervision_minutes and s.individual_minutes >= t.supervision_individual_minutes then 1
                else 0
            end
        ) as compliant,
        sum(s.minutes) as minutes
    from settings as t
    cross join int_supervision_months as s
    group by s.period_type, s.period_start_day, s.office_id, s.tenure_band
),

survey_placed as (
    select
        period_type,
        period_start_day,
        office_id,
        tenure_band,
        sum(case when measure = 'sts_total' then 1 else 0 end) as sts_respondents,
        sum(case when measure = 'sts_total' then value end) as sts_sum,
        sum(case when measure = 'sts_total' and value >= 38.0 then 1 else 0 end) as sts_high,
        sum(case when measure = 'proqol_bo' then 1 else 0 end) as burnout_respondents,
        sum(case when measure = 'proqol_bo' then value end) as burnout_sum,
        sum(case when measure = 'proqol_bo' and value >= 42.0 then 1 else 0 end) as burnout_high,
        sum(case when measure = 'brs_mean' then 1 else 0 end) as resilience_respondents,
        sum(case when measure = 'brs_mean' then value end) as resilience_sum,
        sum(case when measure = 'brs_mean' and value < 3.0 then 1 else 0 end) as resilience_low
    from int_survey_latest_by_period
    group by period_type, period_start_day, office_id, tenure_band
),

exposure as (
    select
        x.period_type,
        x.period_start_day,
        case when r.by_office then x.office_id else 'ALL' end as office_id,
        case when r.by_band then x.tenure_band else 'ALL' end as tenure_band,
        sum(x.exposure_days) as exposure_days,
        sum(x.headcount_end) as headcount_end
    from rollup as r
    cross join exposure_placed as x
    group by 1, 2, 3, 4
),

separations as (
    select
        x.period_type,
        x.period_start_day,
        case when r.by_office then x.office_id else 'ALL' end as office_id,
        case when r.by_band then x.tenure_band else 'ALL' end as tenure_band,
        sum(x.separations) as separations,
        sum(x.voluntary_separations) as voluntary_separations
    from rollup as r
    cross join separations_placed as x
    group by 1, 2, 3, 4
),

transfers as (
    select
        x.period_type,
        x.period_start_day,
        case when r.by_office then x.office_id else 'ALL' end as office_id,
        case when r.by_band then x.tenure_band else 'ALL' end as tenure_band,
        sum(x.transfers_out) as transfers_out
    from rollup as r
    cross join transfers_placed as x
    group by 1, 2, 3, 4
),

caseload as (
    select
        x.period_type,
        x.period_start_day,
        case when r.by_office then x.office_id else 'ALL' end as office_id,
        case when r.by_band then x.tenure_band else 'ALL' end as tenure_band,
        sum(x.caseload_worker_months) as caseload_worker_months,
        sum(x.mean_cases_sum) / cast(sum(x.caseload_worker_months) as double) as caseload_mean,
        cast(sum(x.over_standard) as double) / cast(sum(x.caseload_worker_months) as double) as caseload_over_standard_share
    from rollup as r
    cross join caseload_placed as x
    group by 1, 2, 3, 4
),

supervision as (
    select
        x.period_type,
        x.period_start_day,
        case when r.by_office then x.office_id else 'ALL' end as office_id,
        case when r.by_band then x.tenure_band else 'ALL' end as tenure_band,
        sum(x.supervision_eligible_months) as supervision_eligible_months,
        cast(sum(x.compliant) as double) / cast(sum(x.supervision_eligible_months) as double) as supervision_compliance,
        cast(sum(x.minutes) as double) / 60.0 / cast(sum(x.supervision_eligible_months) as double) as supervision_hours_mean
    from rollup as r
    cross join supervision_placed as x
    group by 1, 2, 3, 4
),

survey as (
    select
        x.period_type,
        x.period_start_day,
        case when r.by_office then x.office_id else 'ALL' end as office_id,
        case when r.by_band then x.tenure_band else 'ALL' end as tenure_band,
        sum(x.sts_respondents) as sts_respondents,
        sum(x.sts_sum) / cast(nullif(sum(x.sts_respondents), 0) as double) as sts_mean,
        cast(sum(x.sts_high) as double) / cast(nullif(sum(x.sts_respondents), 0) as double) as sts_high_share,
        sum(x.burnout_respondents) as burnout_respondents,
        sum(x.burnout_sum) / cast(nullif(sum(x.burnout_respondents), 0) as double) as burnout_mean,
        cast(sum(x.burnout_high) as double) / cast(nullif(sum(x.burnout_respondents), 0) as double) as burnout_high_share,
        sum(x.resilience_respondents) as resilience_respondents,
        sum(x.resilience_sum) / cast(nullif(sum(x.resilience_respondents), 0) as double) as resilience_mean,
        cast(sum(x.resilience_low) as double) / cast(nullif(sum(x.resilience_respondents), 0) as double) as resilience_low_share
    from rollup as r
    cross join survey_placed as x
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
