-- view: Monthly headcount, separations and annualized turnover per office and tenure band.
with indicators as (
    select * from warehouse.office_indicators
    where period_type = 'month'
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
    from indicators
)

select * from final
