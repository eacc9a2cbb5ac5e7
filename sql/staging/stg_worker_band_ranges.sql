-- grain: one row per worker assignment and tenure band: a run of days in one office, role, fte and band
-- The contract's band on day d (TenureBand::ranges), made in Rust from src_worker_segments:
-- every model that places a day in an office and band joins these ranges.
with source as (
    select * from src_worker_band_ranges
),

final as (
    select
        worker,
        worker_key,
        spell_no,
        office_id,
        role,
        fte,
        tenure_band,
        range_from,
        range_to
    from source
)

select * from final
