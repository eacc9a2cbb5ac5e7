-- grain: one row per worker assignment and tenure band: a run of days in one office, role, fte and band
-- Tenure on d is d - spell start; bands: 00-06m < 183, 06-12m < 365, 01-02y < 730, 02-05y < 1826, 05y+.
with segments as (
    select * from stg_worker_segments
),

bands as (
    select * from (values
        ('00-06m', 0, 182),
        ('06-12m', 183, 364),
        ('01-02y', 365, 729),
        ('02-05y', 730, 1825),
        ('05y+', 1826, 10000000)
    ) as b (tenure_band, tenure_from, tenure_to)
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
