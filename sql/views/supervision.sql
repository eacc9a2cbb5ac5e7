-- view: Monthly supervision compliance (policy minutes and one-to-one minutes) and the share of those minutes that were retention-focused, per office and tenure band; null where the supervision extract does not cover the month.
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
    where i.period_type = 'month'
),

final as (
    select
        period_start as month,
        office_id,
        tenure_band,
        tenure_band_order,
        supervision_eligible_months,
        supervision_compliance,
        supervision_hours_mean,
        retention_focus_share,
        caseload_mean,
        caseload_over_standard_share
    from ordered
)

select * from final
