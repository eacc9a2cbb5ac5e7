-- grain: one row per arm, program, cohort, worker and check day: who is checked for being employed 12 months on
-- Enrollees (arm 'enrolled'): those with end_date + 365 <= as-of; check day end_date + 365.
-- Comparison (arm 'comparison'): with R = the cohort's latest end_date and R + 365 <= as-of, workers never enrolled in
-- any cohort of the program, employed on R in an office where an enrollee of the cohort worked on their start_date;
-- check day R + 365. Computed once on its own: int_program_retention reads it twice, and as a CTE it was planned and
-- run twice.
with enrollments as (
    select * from stg_program_enrollments
),

settings as (
    select * from src_settings
),

ranges as (
    select * from stg_worker_band_ranges
),

eligible_enrollees as (
    select e.*
    from enrollments as e
    cross join settings as s
    where e.end_day is not null and e.end_day + 365 <= s.as_of_day
),

-- Only cohorts whose check day has come: filtered here, on a few hundred rows, rather than on the pool's million.
cohorts as (
    select c.*
    from (
        select program, cohort_id, max(end_day) as latest_end_day
        from enrollments
        group by program, cohort_id
    ) as c
    cross join settings as s
    where c.latest_end_day + 365 <= s.as_of_day
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
    inner join ranges as r
        on c.latest_end_day between r.range_from and r.range_to
    inner join cohort_offices as o
        on o.program = c.program and o.cohort_id = c.cohort_id and o.office_id = r.office_id
    where not exists (select 1 from program_members as m where m.program = c.program and m.worker_key = r.worker_key)
),

-- An enrollee enrolled twice in a cohort appears once per check day (and counts once, employed if employed a
-- year after either end).
final as (
    select distinct 'enrolled' as arm, program, cohort_id, worker_key, end_day + 365 as check_day
    from eligible_enrollees
    union all
    select 'comparison' as arm, program, cohort_id, worker_key, latest_end_day + 365 as check_day
    from comparison_pool
)

select * from final
