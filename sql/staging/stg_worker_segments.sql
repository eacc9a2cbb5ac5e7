-- grain: one row per worker, spell and assignment (office, role, fte), with its first and last day up to as-of
with source as (
    select * from src_worker_segments
),

final as (
    select
        worker,
        worker_key,
        spell_no,
        spell_start_day,
        from_day,
        to_day,
        office_id,
        role,
        fte
    from source
)

select * from final
