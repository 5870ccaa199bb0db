/*
description: >-
  Arithmetic identities between published numbers (config/checks.yaml `race_iteration_identities` and
  `sum_identities`), evaluated wherever every term is present: at each source geography, for each state (the sum of
  its counties) and for each county-built ACH region (the sum of its member counties). Race iterations A-G are
  separate sample estimates of parts of the all-races table, so their difference from it is judged against its
  sampling error: a difference is a problem only when it exceeds both z x the SE of the difference (SE from the
  root sum of squared MOEs of every term, / 1.645) and max_rel_diff of the total; with an unknown MOE only
  max_rel_diff applies. A sum of parts within one table is exact (max_abs_diff). A problem is a warning
  (expectations/suites/int_source_identities.json): the upstream may publish it, and the indicator values that
  use its tables at that geography carry a quality note (int_indicator_quality_notes).
grain: identity_id x vintage_year x geo_type x geoid
columns:
  identity_id: the identity (seeds.seed_source_identities)
  identity: race iterations or sum of parts
  terms: the identity in words, e.g. C27001[ABCDEFG]_001 = B27001_001
  tables: the tables its terms come from, comma-separated (the published notes join on them)
  dataset: source dataset
  vintage_year: source vintage year
  geo_type: county or tract (a source geography), state or ach (sums of counties)
  geoid: GEOID, or the ACH region id
  n_units: source geographies summed (1 at a source geography)
  total_value: the total's estimate
  parts_value: the sum of the parts' estimates
  difference: parts_value - total_value
  relative_difference: difference / total_value
  moe_difference: 90% MOE of the difference (root sum of squared MOEs of every term; null when any is unknown)
  sampling_tolerance: z / 1.645 x moe_difference (race iterations; null for exact identities or an unknown MOE)
  threshold: max_rel_diff x |total| (race iterations) or max_abs_diff (sum of parts)
  holds: false when the difference exceeds every tolerance that applies
  problem: what does not hold, with the numbers and the rule (null when it holds)
  note: what config/checks.yaml says about a known disagreement (null when it holds)
*/
with terms as (
    select * from seeds.seed_source_identities
),

identities as (
    select
        identity_id,
        any_value(identity) as identity,
        any_value(terms) as terms,
        any_value(dataset) as dataset,
        string_agg(distinct "table", ',' order by "table") as tables,
        count(*) filter (where term_role = 'part') as n_parts,
        any_value(z) as z,
        any_value(max_rel_diff) as max_rel_diff,
        any_value(max_abs_diff) as max_abs_diff,
        any_value(rule) as rule,
        any_value(note) as note
    from terms
    group by identity_id
),

cells as (
    select
        t.identity_id,
        e.vintage_year,
        e.geo_level,
        e.geoid,
        sum(e.estimate) filter (where t.term_role = 'total') as total_value,
        sum(e.estimate) filter (where t.term_role = 'part') as parts_value,
        count(e.estimate) filter (where t.term_role = 'total') as n_total,
        count(e.estimate) filter (where t.term_role = 'part') as n_parts,
        count(e.moe) as n_moe,
        count(*) as n_terms,
        sum(pow(e.moe, 2)) as sum_sq_moe
    from terms as t
    inner join intermediate.int_source_estimates as e
        on t.dataset = e.dataset
        and t.variable = e.variable
    group by all
),

complete as (
    -- every term present with an estimate
    select c.*, c.n_moe = c.n_terms as moe_known
    from cells as c
    inner join identities as i using (identity_id)
    where c.n_total = 1 and c.n_parts = i.n_parts
),

units as (
    select identity_id, vintage_year, geo_level as geo_type, geoid, 1 as n_units, total_value, parts_value,
        sum_sq_moe, moe_known
    from complete
),

state_units as (
    -- counties with any term of an identity, by state: a state sum needs every one of them complete
    select identity_id, vintage_year, left(geoid, 2) as state, count(*) as n_counties
    from cells
    where geo_level = 'county'
    group by all
),

states as (
    -- a state: the sum of its counties, when every county of the state with any term has them all
    select
        c.identity_id, c.vintage_year, 'state' as geo_type, left(c.geoid, 2) as geoid, count(*) as n_units,
        sum(c.total_value) as total_value, sum(c.parts_value) as parts_value, sum(c.sum_sq_moe) as sum_sq_moe,
        bool_and(c.moe_known) as moe_known
    from complete as c
    inner join state_units as u
        on c.identity_id = u.identity_id
        and c.vintage_year = u.vintage_year
        and left(c.geoid, 2) = u.state
    where c.geo_level = 'county'
    group by c.identity_id, c.vintage_year, left(c.geoid, 2)
    having count(*) = any_value(u.n_counties)
),

regions as (
    -- a county-built ACH region: the sum of its member counties, when every member has every term
    select
        c.identity_id, c.vintage_year, 'ach' as geo_type, a.to_geoid as geoid, count(*) as n_units,
        sum(c.total_value) as total_value, sum(c.parts_value) as parts_value, sum(c.sum_sq_moe) as sum_sq_moe,
        bool_and(c.moe_known) as moe_known,
        any_value(m.n_members) as n_members
    from complete as c
    inner join intermediate.int_geo_allocation as a
        on a.from_geo_level = 'county'
        and a.from_geoid = c.geoid
        and a.to_geo_type = 'ach'
    inner join (
        select to_geoid, count(*) as n_members
        from intermediate.int_geo_allocation
        where from_geo_level = 'county' and to_geo_type = 'ach'
        group by all
    ) as m
        on a.to_geoid = m.to_geoid
    where c.geo_level = 'county'
    group by c.identity_id, c.vintage_year, a.to_geoid
    having count(*) = any_value(m.n_members)
),

stacked as (
    select * from units
    union all
    select * from states
    union all
    select * exclude (n_members) from regions
),

judged as (
    select
        s.*,
        i.identity,
        i.terms,
        i.tables,
        i.dataset,
        i.rule,
        i.note,
        s.parts_value - s.total_value as difference,
        case when s.moe_known then sqrt(s.sum_sq_moe) end as moe_difference,
        case when i.z is not null and s.moe_known then i.z / 1.645 * sqrt(s.sum_sq_moe) end as sampling_tolerance,
        coalesce(i.max_rel_diff * abs(s.total_value), i.max_abs_diff) as threshold
    from stacked as s
    inner join identities as i using (identity_id)
),

flagged as (
    select
        *,
        not (
            abs(difference) > threshold + 1e-9
            and (sampling_tolerance is null or abs(difference) > sampling_tolerance)
        ) as holds
    from judged
)

select
    identity_id,
    identity,
    terms,
    tables,
    dataset,
    vintage_year,
    geo_type,
    geoid,
    n_units,
    total_value,
    parts_value,
    difference,
    case when total_value <> 0 then difference / total_value end as relative_difference,
    moe_difference,
    sampling_tolerance,
    threshold,
    holds,
    case
        when not holds then format(
            '{} {} {} {}{}: {} does not hold: parts sum to {} against a total of {} ({}{}%){}; {}',
            dataset, vintage_year, geo_type, geoid,
            case when n_units > 1 then ' (sum of ' || n_units || ' counties)' else '' end,
            terms, printf('%.0f', parts_value), printf('%.0f', total_value),
            case when difference > 0 then '+' else '' end,
            case when total_value <> 0 then printf('%.1f', 100 * difference / total_value) else 'n/a' end,
            case
                when sampling_tolerance is not null
                    then ', beyond sampling error (tolerance ' || printf('%.0f', sampling_tolerance) || ')'
                when identity = 'race iterations' then ', sampling error unknown'
                else ''
            end,
            rule
        )
    end as problem,
    case when not holds then note end as note
from flagged
