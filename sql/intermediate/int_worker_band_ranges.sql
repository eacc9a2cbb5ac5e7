-- grain: one row per worker assignment and tenure band: a run of days in one office, role, fte and band
-- Tenure on d is d - spell start; the bands' day ranges are stg_tenure_bands.
with segments as (
    select * from stg_worker_segments
),

bands as (
    select * from stg_tenure_bands
),

split as (
    select
        s.worker,
        s.worker_key,
        s.spell_no,
        s.office_id,
        s.role,
        s.fte,
        b.tenure_band,
        arrow_cast(greatest(s.from_day, s.spell_start_day + b.tenure_from), 'Int32') as range_from,
        arrow_cast(least(s.to_day, s.spell_start_day + b.tenure_to), 'Int32') as range_to
    from segments as s
    cross join bands as b
),

final as (
    select * from split
    where range_from <= range_to
)

select * from final
