-- grain: one row per TERMINATION, placed in the office and tenure band held on its date
with spells as (
    select * from stg_worker_spells
    where end_day is not null
),

ranges as (
    select * from stg_worker_band_ranges
),

final as (
    select
        s.worker_key,
        s.end_day as event_day,
        s.end_reason,
        r.office_id,
        r.tenure_band
    from spells as s
    inner join ranges as r
        on r.worker_key = s.worker_key and s.end_day between r.range_from and r.range_to
)

select * from final
