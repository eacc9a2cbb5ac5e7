-- grain: one row per period, office and tenure band with latest survey scores: respondents, sums and high (or low) counts per measure
-- The office_indicators mart's per-cell sums of one fact family, computed on their own so that the int_survey_latest_by_period rows
-- are freed as soon as they are summed rather than held until the mart runs.
with source as (
    select * from int_survey_latest_by_period
),

final as (
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
    from source
    group by period_type, period_start_day, office_id, tenure_band
)

select * from final
