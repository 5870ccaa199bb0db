-- Completeness of every configured source x vintage x geography level (config/checks.yaml `source_coverage`):
-- one row per configured entry x vintage year x state x variable ('*' = any variable), with the geographies that
-- have rows, the geographies the vintage's boundaries say there are, and `problem` when the share is below
-- min_share. Counties are counted against the vintage-correct county set (the 2017 boundaries with the
-- `county_changes` up to the source's geography year applied); tracts against the Census 2020<->2010 tract
-- relationship. PLACES is counted per release (dataset cdc_places/<release>), from the raw table (staging keeps one
-- release's row where two releases publish the same BRFSS year).
with estimates as (
    select dataset, vintage_year, geo_level, geoid, variable, estimate
    from intermediate.int_source_estimates
    where dataset <> 'cdc_places'
    union all
    select 'cdc_places/' || release, vintage_year, geo_level, geoid, variable, estimate
    from raw.cdc_places_raw
),

coverage as (
    select
        c.dataset,
        unnest(string_split(c.vintage_years, ',')) as vintage_year,
        c.geo_level,
        c.expected,
        c.states,
        c.include_pr,
        c.counties,
        c.min_share,
        c.configured_variables,
        c.min_value_share
    from cfg_source_coverage as c
),

years as (
    select
        v.*,
        coalesce(o.geography_year, v.vintage_year::integer) as geography_year
    from coverage as v
    left join cfg_geography_year_overrides as o
        on o.dataset = v.dataset and o.vintage_year = v.vintage_year
),

-- every county of the base (2017) boundaries and every county a change adds (with its state from 2023)
county_candidates as (
    select geoid, state_fips from geographies.ref_county_geoids where boundary_vintage = '2017'
    union
    select r.geoid, r.state_fips
    from geographies.ref_county_geoids as r
    inner join cfg_county_changes as ch on ch.geoid = r.geoid and ch.change = 'added'
    where r.boundary_vintage = '2023'
),

expected_geographies as (
    select y.dataset, y.vintage_year, y.geo_level, c.state_fips, c.geoid
    from years as y
    inner join county_candidates as c on y.expected = 'counties'
    where not exists (
        select 1 from cfg_county_changes as ch
        where ch.geoid = c.geoid and ch.change = 'removed' and ch.effective_year <= y.geography_year
    )
    and not exists (
        select 1 from cfg_county_changes as ch
        where ch.geoid = c.geoid and ch.change = 'added' and ch.effective_year > y.geography_year
    )
    union all
    select y.dataset, y.vintage_year, y.geo_level, substr(t.geoid, 1, 2), t.geoid
    from years as y
    inner join (
        select distinct 'tracts_2010' as expected, tract_2010 as geoid from geographies.ref_tract_relationship
        union all
        select distinct 'tracts_2020', tract_2020 from geographies.ref_tract_relationship
    ) as t on t.expected = y.expected
    where y.counties = '' or list_contains(string_split(y.counties, ','), substr(t.geoid, 1, 5))
),

in_scope as (
    select e.*, y.min_share, y.min_value_share
    from expected_geographies as e
    inner join years as y using (dataset, vintage_year, geo_level)
    where (y.states = '' and (e.state_fips <= '56' or (y.include_pr and e.state_fips = '72')))
       or list_contains(string_split(y.states, ','), e.state_fips)
),

expected_counts as (
    select dataset, vintage_year, geo_level, state_fips, any_value(min_share) as min_share,
        any_value(min_value_share) as min_value_share, count(*) as n_expected
    from in_scope
    group by all
),

configured as (
    -- what config/indicators.yaml reads must be there even if it vanished from the response, in the states it is
    -- configured for (state null: every state of the scope; a measurement limited to `states` only there)
    select distinct y.dataset, y.vintage_year, y.geo_level, s.variable, s.state as state_fips
    from years as y
    inner join seeds.seed_indicator_variables as s
        on (s.dataset = y.dataset or (y.dataset like 'cdc_places/%' and s.dataset = 'cdc_places'))
        and s.vintage_year = y.vintage_year and s.geo_level = y.geo_level
    where y.configured_variables
),

variables as (
    -- a variable in the response is expected in every state of the scope, unless config reads it for some states only
    select distinct e.dataset, e.vintage_year, e.geo_level, e.variable, null::varchar as state_fips
    from estimates as e
    where not exists (
        select 1 from configured as c
        where (c.dataset, c.vintage_year, c.geo_level, c.variable) = (e.dataset, e.vintage_year, e.geo_level, e.variable)
            and c.state_fips is not null
    )
    union
    select dataset, vintage_year, geo_level, '*', null from years
    union
    select * from configured
),

-- Per variable, rows count geographies: the estimates' grain is dataset x vintage_year x geo_level x geoid x
-- variable (int_source_estimates is built only after each staging model's blocking uniqueness check passed; the
-- PLACES parser refuses a county's measure twice in one release) and each in-scope geography is joined once. So
-- count(*) instead of count(distinct geoid) over ~46,000 groups, which took ~2.5 of this query's ~3 s on the snapshot.
in_scope_geographies as (
    select distinct dataset, vintage_year, geo_level, state_fips, geoid from in_scope
),

present as (
    select e.dataset, e.vintage_year, e.geo_level, s.state_fips, e.variable, count(*) as n_present,
        count(e.estimate) as n_values
    from estimates as e
    inner join in_scope_geographies as s using (dataset, vintage_year, geo_level, geoid)
    group by all
    union all
    select e.dataset, e.vintage_year, e.geo_level, s.state_fips, '*', count(distinct e.geoid),
        count(distinct e.geoid) filter (where e.estimate is not null)
    from estimates as e
    inner join in_scope as s using (dataset, vintage_year, geo_level, geoid)
    group by all
),

checked as (
    select
        x.dataset,
        x.vintage_year,
        x.geo_level,
        x.state_fips,
        v.variable,
        x.n_expected,
        coalesce(p.n_present, 0) as n_present,
        coalesce(p.n_values, 0) as n_values,
        x.min_share,
        x.min_value_share
    from expected_counts as x
    inner join variables as v
        on v.dataset = x.dataset and v.vintage_year = x.vintage_year and v.geo_level = x.geo_level
        and (v.state_fips is null or v.state_fips = x.state_fips)
    left join present as p
        on (p.dataset, p.vintage_year, p.geo_level, p.state_fips, p.variable)
            = (x.dataset, x.vintage_year, x.geo_level, x.state_fips, v.variable)
),

excepted as (
    select c.*
    from checked as c
    -- a gap the upstream documents, listed with its reason in config/checks.yaml coverage_exceptions
    anti join cfg_coverage_exceptions as x
        on x.dataset = c.dataset and x.vintage_year = c.vintage_year and x.state_fips = c.state_fips
)

select
    dataset,
    vintage_year,
    geo_level,
    state_fips,
    variable,
    n_present,
    n_values,
    n_expected,
    case
        when n_present < min_share * n_expected then format(
            '{} {} {}: {} has rows for {} of the {} {}s of state {} (minimum share {}, config/checks.yaml source_coverage)',
            dataset, vintage_year, geo_level,
            case when variable = '*' then 'the source' else 'variable ' || variable end,
            n_present, n_expected, geo_level, state_fips, min_share
        )
        when n_values < min_value_share * n_expected then format(
            '{} {} {}: {} has a value for {} of the {} {}s of state {} (minimum share {}, config/checks.yaml source_coverage min_value_share)',
            dataset, vintage_year, geo_level,
            case when variable = '*' then 'the source' else 'variable ' || variable end,
            n_values, n_expected, geo_level, state_fips, min_value_share
        )
    end as problem
from excepted
order by all
