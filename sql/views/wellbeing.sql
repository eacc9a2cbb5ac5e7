-- view: Secondary traumatic stress, burnout and resilience per period, office and band; small groups suppressed.
with indicators as (
    select * from warehouse.office_indicators
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
    from indicators
)

select * from final
