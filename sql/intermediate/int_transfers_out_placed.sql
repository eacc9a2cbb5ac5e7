-- grain: one row per TRANSFER that changes office, placed on the day before it (the last day in the old office)
with segments as (
    select * from stg_worker_segments
),

ranges as (
    select * from stg_worker_band_ranges
),

with_previous as (
    select
        worker_key,
        from_day,
        office_id,
        lag(office_id) over (partition by worker_key, spell_no order by from_day) as previous_office_id
    from segments
),

moves as (
    select
        worker_key,
        from_day - 1 as event_day
    from with_previous
    where previous_office_id is not null and previous_office_id <> office_id
),

final as (
    select
        m.worker_key,
        m.event_day,
        r.office_id,
        r.tenure_band
    from moves as m
    inner join ranges as r
        on r.worker_key = m.worker_key and m.event_day between r.range_from and r.range_to
)

select * from final
