-- grain: one row per period, office and tenure band with caseload groups: how many, the sum of their mean caseloads, how many over the standard
-- The office_indicators mart's per-cell sums of one fact family, computed on their own so that the int_caseload_groups rows
-- are freed as soon as they are summed rather than held until the mart runs.
with source as (
    select * from int_caseload_groups
),

final as (
    select
        period_type,
        period_start_day,
        office_id,
        tenure_band,
        count(*) as caseload_worker_months,
        sum(mean_cases) as mean_cases_sum,
        sum(case when mean_cases > mean_standard then 1 else 0 end) as over_standard
    from source
    group by period_type, period_start_day, office_id, tenure_band
)

select * from final
