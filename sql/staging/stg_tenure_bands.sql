-- grain: one row per tenure band: its first and last day of tenure (tenure on d = d - spell start)
-- The edges come from the contract crate (TenureBand::tenure_days), the one place they live.
with source as (
    select * from src_tenure_bands
),

final as (
    select
        tenure_band,
        tenure_from,
        tenure_to
    from source
)

select * from final
