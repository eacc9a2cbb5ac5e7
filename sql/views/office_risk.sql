-- view: The trailing 12 months per office and tenure band: headcount, turnover, caseload, supervision, (suppressed) wellbeing, and the risk model's predicted separations and risk tier for the next 12 months.
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
    where i.period_type = 'trailing_12m'
),

final as (
    select
        period_start,
        period_end,
        office_id,
        tenure_band,
        tenure_band_order,
        headcount_end,
        avg_headcount,
        separations,
        voluntary_separations,
        transfers_out,
        turnover_rate,
        voluntary_turnover_rate,
        caseload_mean,
        caseload_over_standard_share,
        supervision_compliance,
        supervision_hours_mean,
        sts_respondents,
        sts_mean,
        sts_high_share,
        burnout_mean,
        resilience_mean,
        predicted_separations_12m,
        predicted_turnover_12m,
        risk_tier
    from ordered
)

select * from final
