/*
description: >-
  Indicator components rolled up from their source geography (tract or county) to every larger geography the
  allocation reaches (county, ACH region, tribal area, neighborhood). Counts are summed after allocation (a split
  tract contributes its area share), with the MOE of the sum by the ACS formula (each part's MOE scaled by its
  factor, a constant; only the largest MOE among zero estimates counted). Values without counts are either
  averaged with census-population weights (aggregation population_weighted_mean; SE of a weighted mean of
  independent estimates) or not aggregated at all (medians, published percentages), with the reason. A value is
  built only when the units with data hold at least allocation.min_population_coverage of the target's
  population (all of it for counts); otherwise the row says why it has none. A tract with data that is not a tract
  of its vintage (int_geo_allocation.in_tract_vintage false) is summed into its county and county-built regions
  (GEOID prefix) but cannot be placed in overlay areas: every overlay area drawing tracts from that county says so
  in estimate_note, with the unallocated tract(s) and their share of the county's denominator (or count), instead
  of leaving it out silently.
grain: indicator_id x vintage_year x geo_type x geoid x group_id x role
columns:
  indicator_id: indicator id
  vintage_year: source vintage year
  vintage: period label
  geo_type: county, ach, aiannh or neighborhood
  geo_vintage: boundary vintage of the target (null for counties; set in int_indicator_values)
  geoid: id of the target
  group_id: race/ethnicity group
  role: value, numerator or denominator
  method: direct, count or proportion
  moe_kind: published, not_published, census_count, published_ci95 or not_applicable
  moe_published: whether the source values have a known MOE
  scale: multiplier of a proportion
  from_geo_level: the source geography aggregated (tract or county)
  n_units: source units with data that contribute
  n_units_universe: source units the target contains (within the measurement's states or counties)
  population_coverage: share of the target's census population held by the units with data (by area weight where the target has no population)
  boundary_coverage: share of an overlay target's area covered by tract boundaries in the source (1 for counties and county-built regions)
  estimate: aggregated estimate (null when coverage is too low or the value cannot be aggregated)
  moe: 90% MOE of the aggregated estimate (null when any contributing MOE is unknown)
  published_ci_low: lower limit at published_ci_level (weighted means of sources that publish limits)
  published_ci_high: upper limit at published_ci_level
  published_ci_level: level of the limits (0.95)
  aggregated_by: how the measurement aggregates (config/indicators.yaml `aggregation`), one of sum, population_weighted_mean or none
  aggregation_method: how the value was aggregated (appended to the published method)
  estimate_note: why the estimate is missing, or what part of the area the units with data cover, and any tract with data left unallocated (not a tract of its vintage) with its share of the county
*/
with rules as (
    select r.*, c.z_90, c.z_95
    from seeds.seed_allocation_rules as r
    cross join seeds.seed_reliability_rules as c
),

components as (
    select * from intermediate.int_indicator_components
),

universe as (
    -- every unit the target contains, inside the measurement's states or counties or not: data that cover only
    -- part of an area must show as partial coverage
    select
        m.indicator_id,
        m.vintage_year,
        m.geo_level as from_geo_level,
        a.to_geo_type,
        a.to_geoid,
        count(*) as n_units_universe,
        sum(a.allocated_population) as universe_population,
        sum(a.weight) as universe_weight
    from (select distinct indicator_id, vintage_year, geo_level, geo_vintage from components) as m
    inner join intermediate.int_geo_allocation as a
        on a.from_geo_level = m.geo_level
        and (m.geo_level = 'county' or a.from_geo_vintage = m.geo_vintage)
    group by all
),

boundary_coverage as (
    -- share of an overlay target's area that tract boundaries cover (the better of the two tract vintages;
    -- tracts of the other vintage reach the target through the relationship file)
    select x.area_type as geo_type, x.area_geoid as geoid, max(x.covered_km2 / b.area_km2) as boundary_coverage
    from (
        select tract_vintage, area_type, area_geoid, sum(intersection_km2) as covered_km2
        from geographies.xwalk_tract_areas
        group by all
    ) as x
    inner join geographies.geo_boundaries as b
        on x.area_type = b.geo_type
        and x.area_geoid = b.geoid
    where b.area_km2 > 0
    group by all
),

joined as (
    select
        c.*,
        a.to_geo_type,
        a.to_geo_vintage,
        a.to_geoid,
        a.allocation_factor as f,
        a.allocated_population,
        a.weight,
        a.weight_method,
        a.by_boundary,
        a.in_tract_vintage,
        -- population weights when the target has census population, area weights otherwise
        coalesce(
            sum(a.allocated_population) over (
                partition by c.indicator_id, c.vintage_year, c.geo_level, a.to_geo_type, a.to_geoid, c.group_id, c.role
            ),
            0
        ) > 0 as has_population
    from components as c
    inner join intermediate.int_geo_allocation as a
        on a.from_geo_level = c.geo_level
        and (c.geo_level = 'county' or a.from_geo_vintage = c.geo_vintage)
        and a.from_geoid = c.geoid
),

aggregated as (
    select
        j.indicator_id,
        j.vintage_year,
        any_value(j.vintage) as vintage,
        j.to_geo_type as geo_type,
        any_value(j.to_geo_vintage) as to_geo_vintage,
        j.to_geoid as geoid,
        j.group_id,
        j.role,
        j.method,
        j.moe_kind,
        j.moe_published,
        j.scale,
        j.aggregation,
        any_value(j.aggregation_note) as aggregation_note,
        j.geo_level as from_geo_level,
        any_value(j.has_population) as has_population,
        count(j.estimate) as n_units,
        -- units with data that are not tracts of their vintage (nested by GEOID prefix, no census population)
        count(j.estimate) filter (where not coalesce(j.in_tract_vintage, true)) as n_units_off_vintage,
        string_agg(distinct j.geoid, ', ' order by j.geoid) filter (
            where j.estimate is not null and not coalesce(j.in_tract_vintage, true)
        ) as off_vintage_geoids,
        any_value(j.geo_vintage) as from_geo_vintage,
        count(*) as n_rows,
        count(j.moe) filter (where j.estimate is not null) as n_moe,
        sum(j.allocated_population) filter (where j.estimate is not null) as covered_population,
        sum(j.weight) filter (where j.estimate is not null) as covered_weight,
        -- sums of allocated counts
        sum(j.f * j.estimate) as sum_estimate,
        -- MOE of the sum of allocated counts (macros/acs_formulas.sql); a factor is a constant, so f x MOE
        acs_moe_sum_of(j.estimate, j.f * j.moe) as sum_moe,
        -- population-weighted means
        sum(case when j.has_population then j.allocated_population else j.weight end) filter (where j.estimate is not null)
            as sum_w,
        sum((case when j.has_population then j.allocated_population else j.weight end) * j.estimate)
            filter (where j.estimate is not null) as sum_wx,
        sum(pow((case when j.has_population then j.allocated_population else j.weight end) * j.moe, 2))
            filter (where j.estimate is not null) as sum_sq_wmoe
    from joined as j
    group by
        j.indicator_id, j.vintage_year, j.to_geo_type, j.to_geoid, j.group_id, j.role, j.method, j.moe_kind,
        j.moe_published, j.scale, j.aggregation, j.geo_level
),

with_coverage as (
    select
        a.*,
        u.n_units_universe,
        case
            when u.universe_population > 0 then least(coalesce(a.covered_population, 0) / u.universe_population, 1.0)
            when u.universe_weight > 0 then least(coalesce(a.covered_weight, 0) / u.universe_weight, 1.0)
        end as population_coverage,
        coalesce(bc.boundary_coverage, 1.0) as boundary_coverage,
        case when a.method = 'count' then 0.999999 else rules.min_population_coverage end as needed_coverage,
        rules.min_population_coverage,
        rules.z_90,
        rules.z_95
    from aggregated as a
    inner join universe as u
        on a.indicator_id = u.indicator_id
        and a.vintage_year = u.vintage_year
        and a.from_geo_level = u.from_geo_level
        and a.geo_type = u.to_geo_type
        and a.geoid = u.to_geoid
    left join boundary_coverage as bc
        on a.geo_type = bc.geo_type
        and a.geoid = bc.geoid
    cross join rules
),

off_vintage as (
    -- tracts with data that are not tracts of their vintage, by county: their share of the county's denominator
    -- (proportions) or count (counts), the universe part they would have brought to an overlay area
    select
        c.indicator_id,
        c.vintage_year,
        c.group_id,
        left(c.geoid, 5) as county,
        any_value(c.geo_vintage) as geo_vintage,
        count(distinct c.geoid) filter (where o.from_geoid is not null) as n_unallocated,
        string_agg(distinct c.geoid, ', ' order by c.geoid) filter (where o.from_geoid is not null)
            as unallocated_geoids,
        sum(c.estimate) filter (where o.from_geoid is not null and c.role in ('denominator', 'value'))
            as unallocated_estimate,
        sum(c.estimate) filter (where c.role in ('denominator', 'value')) as county_estimate,
        any_value(c.aggregation) as aggregation
    from components as c
    left join (
        select distinct from_geo_vintage, from_geoid
        from intermediate.int_geo_allocation
        where from_geo_level = 'tract' and not in_tract_vintage
    ) as o
        on c.geo_vintage = o.from_geo_vintage
        and c.geoid = o.from_geoid
    where c.geo_level = 'tract' and c.estimate is not null
    group by all
    having count(*) filter (where o.from_geoid is not null) > 0
),

unallocated_notes as (
    -- every overlay area that draws tracts from such a county (the tract may or may not lie in it: it has no
    -- boundary of its vintage to tell)
    select
        t.indicator_id,
        t.vintage_year,
        t.group_id,
        t.to_geo_type,
        t.to_geoid,
        string_agg(
            'unallocated: ' || u.n_unallocated || ' ' || u.geo_vintage || '-vintage tract(s) with data in county '
            || u.county || ' (' || u.unallocated_geoids || ') are not ' || u.geo_vintage
            || ' census tracts and have no boundary to place them by, so they are left out of this area whether or '
            || 'not they lie in it'
            || case
                when u.aggregation = 'sum' and u.county_estimate > 0
                    then '; they hold ' || printf('%.0f', u.unallocated_estimate) || ' of the county''s '
                        || printf('%.0f', u.county_estimate) || ' in the '
                        || case when t.method = 'proportion' then 'denominator' else 'count' end
                        || ' (' || printf('%.3f', 100 * u.unallocated_estimate / u.county_estimate)
                        || '% unallocated)'
                else ''
            end,
            '; ' order by u.county
        ) as unallocated_note
    from (
        select distinct indicator_id, vintage_year, group_id, method, to_geo_type, to_geoid, left(geoid, 5) as county
        from joined
        where by_boundary
    ) as t
    inner join off_vintage as u
        on t.indicator_id = u.indicator_id
        and t.vintage_year = u.vintage_year
        and t.group_id = u.group_id
        and t.county = u.county
    group by all
),

valued as (
    select
        *,
        aggregation <> 'none'
        and n_units > 0
        and coalesce(population_coverage, 0) >= needed_coverage
        and boundary_coverage >= min_population_coverage as has_value,
        case when sum_w > 0 then sum_wx / sum_w end as weighted_mean,
        case when sum_w > 0 then sqrt(sum_sq_wmoe) / sum_w end as weighted_mean_moe
    from with_coverage
),

limits as (
    -- a weighted mean of values published with 95% limits gets 95% limits too: mean ± 1.96 SE
    select
        v.*,
        v.has_value and v.aggregation = 'population_weighted_mean' and v.moe_kind = 'published_ci95'
        and v.n_moe = v.n_units as has_limits,
        -- the source units, as the method text names them: 1 tract, 2 tracts, 2 counties
        case
            when v.n_units = 1 then v.from_geo_level
            when v.from_geo_level = 'county' then 'counties'
            else v.from_geo_level || 's'
        end as units,
        n.unallocated_note
    from valued as v
    left join unallocated_notes as n
        on v.indicator_id = n.indicator_id
        and v.vintage_year = n.vintage_year
        and v.group_id = n.group_id
        and v.geo_type = n.to_geo_type
        and v.geoid = n.to_geoid
)

select
    indicator_id,
    vintage_year,
    vintage,
    geo_type,
    to_geo_vintage as geo_vintage,
    geoid,
    group_id,
    role,
    method,
    moe_kind,
    moe_published,
    scale,
    from_geo_level,
    n_units,
    n_units_universe,
    population_coverage,
    boundary_coverage,
    case
        when not has_value then null
        when aggregation = 'sum' then sum_estimate
        when aggregation = 'population_weighted_mean' then weighted_mean
    end as estimate,
    case
        when not has_value or n_moe < n_units then null
        when aggregation = 'sum' then sum_moe
        when aggregation = 'population_weighted_mean' then weighted_mean_moe
    end as moe,
    case when has_limits then weighted_mean - z_95 / z_90 * weighted_mean_moe end as published_ci_low,
    case when has_limits then weighted_mean + z_95 / z_90 * weighted_mean_moe end as published_ci_high,
    case when has_limits then 0.95 end as published_ci_level,
    aggregation as aggregated_by,
    case
        when aggregation = 'sum'
            then 'aggregated from ' || n_units || ' ' || units || ': counts summed'
                || case when from_geo_level = 'tract' and geo_type <> 'county' and geo_type <> 'ach'
                    then ' (a split tract contributes its area share)' else '' end
                || ', MOE of the sum by the ACS formula'
        when aggregation = 'population_weighted_mean'
            then 'aggregated from ' || n_units || ' ' || units || ': ' || aggregation_note
                || case when has_population then '' else ' (no population in the area: weighted by area)' end
        else 'not aggregated: ' || aggregation_note
    end as aggregation_method,
    nullif(
        concat_ws(
            '; ',
            case
                when aggregation = 'none' then 'no value: ' || aggregation_note
                when n_units = 0 then 'no value: none of the ' || n_units_universe || ' ' || from_geo_level || 's in the area has data'
                when boundary_coverage < min_population_coverage
                    then 'no value: tract boundaries in the source cover ' || cast(round(100 * boundary_coverage, 1) as varchar)
                        || '% of the area (needs ' || cast(round(100 * min_population_coverage, 1) as varchar) || '%)'
                when not has_value
                    then 'no value: the ' || from_geo_level || 's with data hold '
                        || coalesce(cast(round(100 * population_coverage, 1) as varchar), 'an unknown share')
                        || '% of the area''s population (needs ' || cast(round(100 * needed_coverage, 1) as varchar) || '%)'
                when population_coverage < 0.9995
                    then n_units || ' of ' || n_units_universe || ' ' || from_geo_level || 's have data, holding '
                        || cast(round(100 * population_coverage, 1) as varchar) || '% of the area''s population'
            end,
            -- values that are not aggregated (medians) say only why; the tract clauses concern sums and means
            case
                when aggregation <> 'none' and n_units_off_vintage > 0
                    then 'tract(s) ' || off_vintage_geoids || ' with data are not ' || from_geo_vintage
                        || ' census tracts: their counts are summed in by GEOID prefix, but they have no '
                        || from_geo_vintage || ' census population, so the population share leaves them out'
            end,
            case when aggregation <> 'none' then unallocated_note end
        ),
        ''
    ) as estimate_note
from limits
