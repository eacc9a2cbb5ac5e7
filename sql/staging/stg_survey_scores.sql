-- grain: one row per scored survey response
with source as (
    select * from survey_scores
),

final as (
    select
        response_id,
        worker_key,
        arrow_cast(administered_on, 'Int32') as administered_day,
        arrow_cast(arrow_cast(date_trunc('month', administered_on), 'Date32'), 'Int32') as administered_month_day,
        office_id,
        tenure_band,
        sts_total,
        proqol_bo,
        brs_mean
    from source
)

select * from final
