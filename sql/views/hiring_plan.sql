-- view: The hiring plan per office for the next 12 months: headcount, fte and cases on as-of, the fte the caseload standard requires, expected separations, new-hire attrition, and the hires needed.
with plan as (
    select * from warehouse.hiring_plan
),

final as (
    select
        office_id,
        headcount,
        fte,
        active_cases,
        caseload_standard,
        required_fte,
        fte_gap,
        expected_separations_12m,
        new_hire_attrition_12m,
        hires_needed_12m
    from plan
)

select * from final
