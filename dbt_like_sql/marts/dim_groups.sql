/*
description: >-
  One row per race/ethnicity group id used anywhere in the published tables, with the Census Bureau's wording, so a
  dashboard can label `group_id` without opening config/: whether the group counts Hispanic people, the ACS
  race-iteration letter of its detailed tables, the broader group a detailed group belongs to, the disparity group
  sets it is compared within, and a sort order (config/race_ethnicity_groups.yaml).
grain: group_id
columns:
  group_id: group id, the key used in indicator_values.group_id and disparities.group_id
  group_label: the Census Bureau's wording, e.g. "White alone, not Hispanic or Latino"
  includes_hispanic: true when the group counts Hispanic people of that race (race-alone groups, A-G; detailed Asian and NHPI groups); false for the non-Hispanic groups
  iteration: ACS race-iteration letter of the group's detailed tables (A-I); null where none
  parent_group_id: the broader group a detailed group belongs to (asian, nhpi or hispanic); null for broad groups
  parent_group_label: the parent group's label
  is_detailed: true for a detailed group (one with a parent)
  group_sets: disparity group sets the group is compared within (config/disparities.yaml), comma-separated; null when none (the total, detailed groups)
  sort_order: position in config/race_ethnicity_groups.yaml (total first, broad groups, then detailed groups by parent)
*/
with sets as (
    select group_id, string_agg(group_set, ', ' order by group_set) as group_sets
    from seeds.seed_disparity_group_sets
    group by group_id
)

select
    g.group_id,
    g.group_label,
    g.includes_hispanic,
    g.iteration,
    g.parent_group_id,
    p.group_label as parent_group_label,
    g.parent_group_id is not null as is_detailed,
    s.group_sets,
    g.sort_order
from seeds.seed_race_ethnicity_groups as g
left join seeds.seed_race_ethnicity_groups as p on p.group_id = g.parent_group_id
left join sets as s on s.group_id = g.group_id
