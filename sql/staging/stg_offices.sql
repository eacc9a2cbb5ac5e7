-- grain: one row per accepted office
with source as (
    select * from offices
),

final as (
    select
        office_id,
        cast(caseload_standard as double) as caseload_standard
    from source
)

select * from final
