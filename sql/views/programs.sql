-- view: Program cohorts: enrollment, completion, attendance, pre/post change in STS, burnout and resilience (paired t), and 12-month retention against a comparison group.
with outcomes as (
    select * from warehouse.program_outcomes
),

final as (
    select
        program,
        cohort_id,
        measure,
        enrolled,
        completed,
        pairs,
        pre_mean,
        post_mean,
        mean_change,
        sd_change,
        t_stat,
        p_value,
        effect_size_dz,
        retained_12m,
        comparison_retained_12m,
        attendance_rate
    from outcomes
)

select * from final
