/*
description: >-
  What changed between two releases' indicator values, per indicator x geo_type: rows added, rows removed, rows
  whose estimate or MOE moved by more than the tolerance (getvariable('abs_tolerance') absolute or
  getvariable('rel_tolerance') relative to the old value, config/releases.yaml) or whose reliability or suppression
  changed, and the largest estimate change with an example record. Reads old_indicator_values and
  new_indicator_values (temporary views over the two releases' Parquet files).
grain: indicator_id x geo_type
*/
with joined as (
    select
        coalesce(n.indicator_id, o.indicator_id) as indicator_id,
        coalesce(n.geo_type, o.geo_type) as geo_type,
        concat_ws(' ', coalesce(n.vintage, o.vintage), coalesce(n.geoid, o.geoid), coalesce(n.group_id, o.group_id))
            as record,
        o.indicator_id is null as added,
        n.indicator_id is null as removed,
        o.estimate as old_estimate,
        n.estimate as new_estimate,
        abs(n.estimate - o.estimate) as estimate_change,
        (
            abs(coalesce(n.estimate, 0) - coalesce(o.estimate, 0))
                > greatest(getvariable('abs_tolerance'), getvariable('rel_tolerance') * abs(coalesce(o.estimate, 0)))
            or abs(coalesce(n.moe, 0) - coalesce(o.moe, 0))
                > greatest(getvariable('abs_tolerance'), getvariable('rel_tolerance') * abs(coalesce(o.moe, 0)))
            or (n.estimate is null) <> (o.estimate is null)
            or n.reliability is distinct from o.reliability
            or n.suppressed is distinct from o.suppressed
        ) as changed
    from new_indicator_values as n
    full outer join old_indicator_values as o
        on n.indicator_id = o.indicator_id
        and n.vintage = o.vintage
        and n.geo_type = o.geo_type
        and n.geoid = o.geoid
        and n.group_id = o.group_id
)

select
    indicator_id,
    geo_type,
    count(*) filter (where added) as rows_added,
    count(*) filter (where removed) as rows_removed,
    count(*) filter (where not added and not removed and changed) as rows_changed,
    count(*) filter (where not added and not removed and not changed) as rows_unchanged,
    max(estimate_change) filter (where not added and not removed) as max_estimate_change,
    arg_max(concat(record, ': ', old_estimate, ' -> ', new_estimate), estimate_change)
        filter (where not added and not removed and changed) as largest_change
from joined
group by all
having rows_added + rows_removed + rows_changed > 0
order by indicator_id, geo_type
