-- grain: one row per employment spell
with source as (
    select * from worker_spells
),

final as (
    select
        worker_key,
        spell_no,
        arrow_cast(start_date, 'Int32') as start_day,
        arrow_cast(end_date, 'Int32') as end_day,
        end_reason
    from source
)

select * from final
