-- grain: one row per program and cohort: how many enrollees and comparison workers were still employed 12 months on
-- Enrollees: those with end_date + 365 <= as-of, employed on end_date + 365.
-- Comparison: with R = the cohort's latest end_date and R + 365 <= as-of, workers never enrolled in any cohort of
-- the program, employed on R in an office where an enrollee of the cohort worked on their start_date; employed on R + 365?
with enrollments as (
    select * from stg_program_enrollments
),

settings as (
    select * from src_settings
),

ranges as (
    select * from int_worker_band_ranges
),

eligible_enrollees as (
    select e.*
    from enrollments as e
    cross join settings as s
    where e.end_day is not null and e.end_day + 365 <= s.as_of_day
),

-- Who was employed a year on is found with an inner join and then attached with an
-- equality-only left join: a left join whose ON clause holds the range condition lost
-- the workers without a match (DataFusion 55), which the hand-built slt caught.
enrollees_employed_after as (
    select distinct e.program, e.cohort_id, e.worker_key
    from eligible_enrollees as e
    inner join ranges as r
        on r.worker_key = e.worker_key and e.end_day + 365 between r.range_from and r.range_to
),

enrollee_outcomes as (
    select
        e.program,
        e.cohort_id,
        e.worker_key,
        case when a.worker_key is not null then 1.0 else 0.0 end as employed_after
    from (select distinct program, cohort_id, worker_key from eligible_enrollees) as e
    left join enrollees_employed_after as a
        on a.program = e.program and a.cohort_id = e.cohort_id and a.worker_key = e.worker_key
),

enrollee_retention as (
    select program, cohort_id, count(*) as retained_denominator, avg(employed_after) as retained_share
    from enrollee_outcomes
    group by program, cohort_id
),

cohorts as (
    select program, cohort_id, max(end_day) as latest_end_day
    from enrollments
    group by program, cohort_id
),

cohort_offices as (
    select distinct e.program, e.cohort_id, r.office_id
    from enrollments as e
    inner join ranges as r
        on r.worker_key = e.worker_key and e.start_day between r.range_from and r.range_to
),

program_members as (
    select distinct program, worker_key from enrollments
),

comparison_pool as (
    select distinct c.program, c.cohort_id, r.worker_key, c.latest_end_day
    from cohorts as c
    cross join settings as s
    inner join ranges as r
        on c.latest_end_day between r.range_from and r.range_to
    inner join cohort_offices as o
        on o.program = c.program and o.cohort_id = c.cohort_id and o.office_id = r.office_id
    where c.latest_end_day + 365 <= s.as_of_day
        and not exists (select 1 from program_members as m where m.program = c.program and m.worker_key = r.worker_key)
),

comparison_employed_after as (
    select distinct p.program, p.cohort_id, p.worker_key
    from comparison_pool as p
    inner join ranges as r
        on r.worker_key = p.worker_key and p.latest_end_day + 365 between r.range_from and r.range_to
),

comparison_outcomes as (
    select
        p.program,
        p.cohort_id,
        p.worker_key,
        case when a.worker_key is not null then 1.0 else 0.0 end as employed_after
    from comparison_pool as p
    left join comparison_employed_after as a
        on a.program = p.program and a.cohort_id = p.cohort_id and a.worker_key = p.worker_key
),

comparison_retention as (
    select program, cohort_id, count(*) as comparison_denominator, avg(employed_after) as comparison_share
    from comparison_outcomes
    group by program, cohort_id
),

final as (
    select
        c.program,
        c.cohort_id,
        coalesce(er.retained_denominator, 0) as retained_denominator,
        er.retained_share,
        coalesce(cr.comparison_denominator, 0) as comparison_denominator,
        cr.comparison_share
    from cohorts as c
    left join enrollee_retention as er
        on er.program = c.program and er.cohort_id = c.cohort_id
    left join comparison_retention as cr
        on cr.program = c.program and cr.cohort_id = c.cohort_id
)

select * from final
