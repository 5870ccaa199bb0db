-- Value domains at the source: every source estimate an indicator uses, by its role (config/indicators.yaml via
-- seeds.seed_indicator_variables) and its indicator's unit (config/checks.yaml `unit_domains`). A directly
-- published value must lie in its unit's domain (a poverty rate of 140%, a median income of -5,000 dollars);
-- a count behind a proportion or a sum must not be negative. One row per estimate that breaks its rule.
-- A second rule, vintage continuity: the same variable's values must not jump between consecutive vintages by
-- more than `vintage_continuity` allows (median over geographies of new/old), the mark of an upstream that changed
-- what a variable means (a percent turned into a share, dollars into thousands).
with uses as (
    select distinct v.dataset, v.vintage_year, v.geo_level, v.variable, v.role, v.method, i.unit,
        d.min as unit_min, d.max as unit_max, d.min_exclusive
    from seeds.seed_indicator_variables as v
    inner join seeds.seed_indicators as i using (indicator_id)
    left join cfg_unit_domains as d on d.unit = i.unit
),

rules as (
    -- a variable used directly by indicators of different units keeps the narrowest domain
    select dataset, vintage_year, geo_level, variable,
        bool_or(method = 'direct') as direct,
        max(unit_min) as unit_min, min(unit_max) as unit_max, bool_or(min_exclusive) as min_exclusive,
        string_agg(distinct unit, ', ') as units
    from uses
    group by all
),

domain_problems as (
    select
        e.source_file, e.dataset, e.vintage_year, e.geo_level, e.geoid, e.variable, e.estimate,
        case
            when r.direct and (e.estimate < r.unit_min or (r.min_exclusive and e.estimate = r.unit_min)
                or e.estimate > r.unit_max) then format(
                '{} {} {} {}: {} = {} is outside the domain of unit {} ({}{}, {}]; config/checks.yaml unit_domains)',
                e.dataset, e.vintage_year, e.geo_level, e.geoid, e.variable, e.estimate, r.units,
                case when r.min_exclusive then '(' else '[' end, r.unit_min, coalesce(r.unit_max::varchar, 'inf')
            )
            when not r.direct and e.estimate < 0 then format(
                '{} {} {} {}: count {} = {} is negative', e.dataset, e.vintage_year, e.geo_level, e.geoid,
                e.variable, e.estimate
            )
        end as problem
    from intermediate.int_source_estimates as e
    inner join rules as r using (dataset, vintage_year, geo_level, variable)
    where e.estimate is not null
),

vintages as (
    select dataset, geo_level, variable, vintage_year,
        lag(vintage_year) over (partition by dataset, geo_level, variable order by vintage_year) as previous
    from (select distinct dataset, geo_level, variable, vintage_year from intermediate.int_source_estimates)
),

ratios as (
    select
        v.dataset, v.vintage_year, v.geo_level, v.variable, v.previous,
        median(n.estimate / o.estimate) as median_ratio,
        count(*) as n_geographies
    from vintages as v
    inner join intermediate.int_source_estimates as n
        on n.dataset = v.dataset and n.geo_level = v.geo_level and n.variable = v.variable
        and n.vintage_year = v.vintage_year
    inner join intermediate.int_source_estimates as o
        on o.dataset = v.dataset and o.geo_level = v.geo_level and o.variable = v.variable
        and o.vintage_year = v.previous and o.geoid = n.geoid
    where v.previous is not null and n.estimate > 0 and o.estimate > 0
    group by all
),

continuity_problems as (
    select
        null as source_file, r.dataset, r.vintage_year, r.geo_level, null as geoid, r.variable,
        r.median_ratio as estimate,
        format(
            '{} {} {}: {} changed by a median factor of {} from vintage {} over {} geographies (allowed 1/{} to {}; '
            || 'config/checks.yaml vintage_continuity): did the upstream change what it means?',
            r.dataset, r.vintage_year, r.geo_level, r.variable, round(r.median_ratio, 4), r.previous,
            r.n_geographies, c.max_median_ratio, c.max_median_ratio
        ) as problem
    from ratios as r
    cross join cfg_vintage_continuity as c
    where r.n_geographies >= c.min_geographies
      and (r.median_ratio > c.max_median_ratio or r.median_ratio < 1 / c.max_median_ratio)
      -- a documented change of meaning between two vintages (config/checks.yaml vintage_continuity_exceptions)
      and not exists (
          select 1 from cfg_vintage_continuity_exceptions as x
          where x.dataset = r.dataset and x.vintage_year = r.vintage_year and starts_with(r.variable, x.table_prefix)
      )
)

select * from domain_problems where problem is not null
union all
select * from continuity_problems
order by all
