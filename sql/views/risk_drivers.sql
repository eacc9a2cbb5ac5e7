-- view: What drives the expected separations of the next 12 months, per office and state-wide (ALL): the risk model's expected separations as things are, and with only one driver changed (caseload at standard, supervision at policy, wellbeing at the state median, everyone in a program). An association in the model, not a proof of cause.
with drivers as (
    select * from warehouse.risk_drivers
),

final as (
    select
        office_id,
        driver,
        headcount,
        predicted_separations_12m,
        scenario_separations_12m,
        avoidable_separations_12m
    from drivers
)

select * from final
