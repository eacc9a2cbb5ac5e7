-- grain: one row per scored response and measure (sts_total, proqol_bo, brs_mean) that the response scored
with scores as (
    select * from stg_survey_scores
),

final as (
    select response_id, worker_key, administered_day, administered_month_day, office_id, tenure_band, 'sts_total' as measure, sts_total as value
    from scores where sts_total is not null
    union all
    select response_id, worker_key, administered_day, administered_month_day, office_id, tenure_band, 'proqol_bo' as measure, proqol_bo as value
    from scores where proqol_bo is not null
    union all
    select response_id, worker_key, administered_day, administered_month_day, office_id, tenure_band, 'brs_mean' as measure, brs_mean as value
    from scores where brs_mean is not null
)

select * from final
