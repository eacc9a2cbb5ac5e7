-- view: Rows read, accepted and quarantined per source, and quarantined rows per reason (no raw text).
with counts as (
    select * from warehouse.source_counts
),

reasons as (
    select source, reason, count(*) as rows_quarantined
    from warehouse.quarantine
    group by source, reason
),

final as (
    select source, 'ALL' as reason, rows_read, rows_accepted, rows_quarantined from counts
    union all
    select source, reason, cast(null as bigint) as rows_read, cast(null as bigint) as rows_accepted, rows_quarantined from reasons
)

select * from final
