-- grain: one row per program x cohort x measure x worker with a pre and post response (input of the paired t-test; not published)
with pairs as (
    select * from int_program_pairs
),

final as (
    select program, cohort_id, measure, worker_key, pre_value, post_value
    from pairs
)

select * from final
order by program, cohort_id, measure, worker_key
