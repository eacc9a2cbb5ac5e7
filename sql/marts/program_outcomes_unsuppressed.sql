-- grain: one row per program x cohort x measure (sts_total, proqol_bo, brs_mean), before the paired-t statistics
-- Means are null below min_group_size pairs, retention shares below min_group_size in their own denominator, attendance
-- below min_group_size enrollments with both session counts (sessions_offered > 0).
with enrollments as (
    select * from stg_program_enrollments
),

settings as (
    select * from src_settings
),

pairs as (
    select * from int_program_pairs
),

retention as (
    select * from int_program_retention
),

measures as (
    select * from (values ('sts_total'), ('proqol_bo'), ('brs_mean')) as m (measure)
),

cohort_counts as (
    select
        e.program,
        e.cohort_id,
        count(*) as enrolled,
        sum(case when e.end_day is not null and e.end_day <= s.as_of_day then 1 else 0 end) as completed,
        sum(case when e.sessions_offered > 0 and e.sessions_attended is not null then 1 else 0 end) as attendance_enrollments,
        sum(case when e.sessions_offered > 0 and e.sessions_attended is not null then e.sessions_attended end) as sessions_attended,
        sum(case when e.sessions_offered > 0 and e.sessions_attended is not null then e.sessions_offered end) as sessions_offered
    from enrollments as e
    cross join settings as s
    group by e.program, e.cohort_id
),

pair_means as (
    select program, cohort_id, measure, count(*) as pairs, avg(pre_value) as pre_mean, avg(post_value) as post_mean
    from pairs
    group by program, cohort_id, measure
),

final as (
    select
        c.program,
        c.cohort_id,
        m.measure,
        c.enrolled,
        c.completed,
        coalesce(p.pairs, 0) as pairs,
        case when coalesce(p.pairs, 0) >= s.min_group_size then p.pre_mean end as pre_mean,
        case when coalesce(p.pairs, 0) >= s.min_group_size then p.post_mean end as post_mean,
        case when r.retained_denominator >= s.min_group_size then r.retained_share end as retained_12m,
        case when r.comparison_denominator >= s.min_group_size then r.comparison_share end as comparison_retained_12m,
        case
            when c.attendance_enrollments >= s.min_group_size
                then cast(c.sessions_attended as double) / cast(c.sessions_offered as double)
        end as attendance_rate
    from cohort_counts as c
    cross join measures as m
    cross join settings as s
    left join pair_means as p
        on p.program = c.program and p.cohort_id = c.cohort_id and p.measure = m.measure
    left join retention as r
        on r.program = c.program and r.cohort_id = c.cohort_id
)

select * from final
order by program, cohort_id, measure
