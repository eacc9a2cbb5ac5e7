-- view: Monthly headcount, separations and annualized turnover per office and tenure band.
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
        period_end,
        office_id,
        tenure_band,
        tenure_band_order,
        avg_headcount,
        headcount_end,
        separations,
        voluntary_separations,
        transfers_out,
        turnover_rate,
        voluntary_turnover_rate
    from ordered
)

select * from final
