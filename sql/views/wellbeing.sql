-- view: Secondary traumatic stress, burnout and resilience per period, office and band; small groups suppressed.
with indicators as (
    select * from warehouse.office_indicators
),

bands as (
    select * from warehouse.tenure_bands
),

ordered as (
    select i.*, b.tenure_band_order
    from indicators as i
    inner join bands as b on i.tenure_band = b.tenure_band
),

final as (
    select
        period_type,
        period_start,
        period_end,
        office_id,
        tenure_band,
        tenure_band_order,
        sts_respondents,
        sts_mean,
        sts_high_share,
        burnout_respondents,
        burnout_mean,
        burnout_high_share,
        resilience_respondents,
        resilience_mean,
        resilience_low_share
    from ordered
)

select * from final
