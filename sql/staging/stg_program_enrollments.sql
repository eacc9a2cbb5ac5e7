-- grain: one row per accepted program enrollment
with source as (
    select * from src_program_enrollments
),

final as (
    select
        worker_key,
        program,
        cohort_id,
        start_day,
        end_day,
        sessions_offered,
        sessions_attended
    from source
)

select * from final
