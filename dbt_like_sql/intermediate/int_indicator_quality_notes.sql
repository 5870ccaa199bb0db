/*
description: >-
  Published quality notes, generated from the arithmetic-identity check (intermediate.int_source_identities): where
  an identity between source tables does not hold at a county or a county-built ACH region, every indicator value
  there that reads any of the identity's tables (seeds.seed_indicator_variables, same dataset and vintage) gets a
  note saying which identity fails, by how much, and what config/checks.yaml knows about it. The identity alone
  cannot tell which of its tables is wrong, so every group whose numbers come from one of them is noted.
grain: indicator_id x vintage_year x geo_type x geoid x group_id
columns:
  indicator_id: indicator id
  vintage_year: source vintage year
  geo_type: county, tract or ach
  geoid: GEOID or ACH region id
  group_id: race/ethnicity group (or total) whose variables come from a table of a failing identity
  quality_note: the failing identities, each with its numbers and rule; '; '-separated
*/
with failing as (
    select *
    from intermediate.int_source_identities
    where not holds and geo_type in ('county', 'tract', 'ach')
),

uses as (
    select distinct indicator_id, vintage_year, dataset, geo_level, group_id, "table"
    from seeds.seed_indicator_variables
)

select
    u.indicator_id,
    u.vintage_year,
    f.geo_type,
    f.geoid,
    u.group_id,
    string_agg(
        distinct 'source tables do not add up here: ' || f.problem || coalesce(' (' || f.note || ')', ''),
        '; '
    ) as quality_note
from failing as f
inner join uses as u
    on u.vintage_year = f.vintage_year
    and u.dataset = f.dataset
    and list_contains(string_split(f.tables, ','), u."table")
    -- a county-level source reaches counties and county-built regions; a tract-level one, tracts
    and (u.geo_level = f.geo_type or (u.geo_level = 'county' and f.geo_type = 'ach'))
group by all
