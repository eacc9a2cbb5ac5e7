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

-- One row per arm, cohort, worker and check day (an enrollee enrolled twice in a cohort counts once, employed
-- if employed a year after either end).
subjects as (
    select distinct 'enrolled' as arm, program, cohort_id, worker_key, end_day + 365 as check_day
    from eligible_enrollees
    union all
    select 'comparison' as arm, program, cohort_id, worker_key, latest_end_day + 365 as check_day
    from comparison_pool
),

-- Both arms are checked the same way: who was employed on the check day is found with an inner join and then attached with an
-- equality-only left join: a left join whose ON clause holds the range condition lost
-- the workers without a match (DataFusion 55), which the hand-built slt caught.
employed_on_check_day as (
    select distinct s.arm, s.program, s.cohort_id, s.worker_key, s.check_day
    from subjects as s
    inner join ranges as r
        on r.worker_key = s.worker_key and s.check_day between r.range_from and r.range_to
),

subject_outcomes as (
    select
        s.arm,
        s.program,
        s.cohort_id,
        s.worker_key,
        max(case when e.worker_key is not null then 1.0 else 0.0 end) as employed_after
    from subjects as s
    left join employed_on_check_day as e
        on e.arm = s.arm and e.program = s.program and e.cohort_id = s.cohort_id
        and e.worker_key = s.worker_key and e.check_day = s.check_day
    group by s.arm, s.program, s.cohort_id, s.worker_key
),

retention as (
    select
        program,
        cohort_id,
        sum(case when arm = 'enrolled' then 1 else 0 end) as retained_denominator,
        avg(case when arm = 'enrolled' then employed_after end) as retained_share,
        sum(case when arm = 'comparison' then 1 else 0 end) as comparison_denominator,
        avg(case when arm = 'comparison' then employed_after end) as comparison_share
    from subject_outcomes
    group by program, cohort_id
),

final as (
    select
        c.program,
        c.cohort_id,
        coalesce(r.retained_denominator, 0) as retained_denominator,
        r.retained_share,
        coalesce(r.comparison_denominator, 0) as comparison_denominator,
        r.comparison_share
    from cohorts as c
    left join retention as r
        on r.program = c.program and r.cohort_id = c.cohort_id
)

-- Ordered by the grain, so that the row order does not depend on how the unions above were merged.
select * from final
order by program, cohort_id
