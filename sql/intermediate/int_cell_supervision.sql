-- grain: one row per period, office and tenure band with supervision-eligible months, how many met the policy minimum, their minutes and those of RETENTION focus
-- The office_indicators mart's per-cell sums of one fact family, computed on their own so that the int_supervision_months rows
-- are freed as soon as they are summed rather than held until the mart runs.
with source as (
    select * from int_supervision_months
),

settings as (
    select * from src_settings
),

final as (
    select
        s.period_type,
        s.period_start_day,
        s.office_id,
        s.tenure_band,
        count(*) as supervision_eligible_months,
        sum(
            case
                when s.minutes >= t.supervision_minutes and s.individual_minutes >= t.supervision_individual_minutes then 1
                else 0
            end
        ) as compliant,
        sum(s.minutes) as minutes,
        sum(s.retention_minutes) as retention_minutes
    from settings as t
    cross join source as s
    group by s.period_type, s.period_start_day, s.office_id, s.tenure_band
)

select * from final
