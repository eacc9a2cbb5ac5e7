-- grain: one row per completed enrollment and measure with both a pre and a post response
-- pre: the latest response with the measure in [start - 60, start + 14] (same day: the larger response_id);
-- post: the earliest in [end - 14, end + 90] on a later date than pre (same day: the smaller response_id).
with enrollments as (
    select * from stg_program_enrollments
),

settings as (
    select * from src_settings
),

measures as (
    select * from int_survey_measures
),

completed as (
    select e.*
    from enrollments as e
    cross join settings as s
    where e.end_day is not null and e.end_day <= s.as_of_day
),

pre_ranked as (
    select
        c.worker_key,
        c.program,
        c.cohort_id,
        c.end_day,
        m.measure,
        m.value as pre_value,
        m.administered_day as pre_day,
        row_number() over (
            partition by c.worker_key, c.program, c.cohort_id, m.measure
            order by m.administered_day desc, m.response_id desc
        ) as recency
    from completed as c
    inner join measures as m
        on m.worker_key = c.worker_key and m.administered_day between c.start_day - 60 and c.start_day + 14
),

pre as (
    select * from pre_ranked
    where recency = 1
),

post_ranked as (
    select
        p.worker_key,
        p.program,
        p.cohort_id,
        p.measure,
        p.pre_value,
        m.value as post_value,
        row_number() over (
            partition by p.worker_key, p.program, p.cohort_id, p.measure
            order by m.administered_day asc, m.response_id asc
        ) as earliness
    from pre as p
    inner join measures as m
        on m.worker_key = p.worker_key and m.measure = p.measure
        and m.administered_day between p.end_day - 14 and p.end_day + 90
        and m.administered_day > p.pre_day
),

final as (
    select
        program,
        cohort_id,
        measure,
        worker_key,
        pre_value,
        post_value
    from post_ranked
    where earliness = 1
)

select * from final
