/*
description: >-
  The region's disparity rows (getvariable('ach_id'), indicators in getvariable('indicators')) as the release
  publishes them: group rows against each group set's fixed reference group (reference_type = group) and the
  summary rows, with the labels of the group and of its reference from the release's `groups` table.
grain: indicator_id x vintage x group_set x row_type x group_id
*/
select
    d.indicator_id,
    d.vintage,
    d.group_set,
    d.row_type,
    d.reference_type,
    d.group_id,
    coalesce(g.group_label, d.group_id) as group_label,
    coalesce(g.sort_order, 999) as group_order,
    d.reference_group,
    coalesce(r.group_label, d.reference_group) as reference_label,
    d.estimate,
    d.moe,
    d.reliability,
    d.reference_estimate,
    d.reference_moe,
    d.reference_reliability,
    d.reference_reliable,
    d.rate_ratio,
    d.rate_ratio_moe,
    d.rate_difference,
    d.rate_difference_moe,
    d.significant,
    d.eligible,
    d.exclusion_reason,
    d.comparison_note,
    d.max_min_ratio,
    d.index_of_disparity,
    d.n_groups_in_summary,
    d.excluded_groups
from disparities as d
left join groups as g on g.group_id = d.group_id
left join groups as r on r.group_id = d.reference_group
where d.geo_type = 'ach'
    and d.geoid = getvariable('ach_id')
    and list_contains(getvariable('indicators'), d.indicator_id)
    and (d.row_type = 'summary' or d.reference_type = 'group')
order by d.indicator_id, d.vintage, d.group_set, d.row_type, group_order
