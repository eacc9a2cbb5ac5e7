-- view: Share of new hires still employed after 90 days to 5 years (Kaplan-Meier, 95% interval), statewide and by office, role and hire year.
with curves as (
    select * from warehouse.retention_curves
),

final as (
    select
        group_type,
        group_value,
        t_days,
        at_risk,
        events,
        survival,
        ci_lower,
        ci_upper
    from curves
)

select * from final
