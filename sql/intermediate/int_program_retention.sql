-- grain: one row per program and cohort: how many enrollees and comparison workers were still employed 12 months on
-- Enrollees: those with end_date + 365 <= as-of, employed on end_date + 365.
-- Comparison: with R = the cohort's latest end_date and R + 365 <= as-of, workers never enrolled in any cohort of
-- the program, employed on R in an office where an enrollee of the cohort worked on their start_date; employed on R + 365?
with enrollments as (
    select * from stg_program_enrollments
),

subjects as (
    select * from int_program_subjects
),

ranges as (
    select * from stg_worker_band_ranges
),

-- Every cohort, so that one without eligible subjects still has a row.
cohorts as (
    select distinct program, cohort_id
    from enrollments
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

select * from final
