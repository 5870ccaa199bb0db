-- Nothing configured goes missing from the published values: every indicator x vintage x geography level that
-- config/indicators.yaml measures (seeds.seed_indicator_variables) has published values (rows with an estimate)
-- at that level, and every ACH region of config/ach_regions.yaml and every neighborhood of its neighborhood files
-- has rows in marts.fct_indicator_values. One row per configured item, `problem` when it has nothing published.
with published as (
    select
        indicator_id,
        right(vintage, 4) as vintage_year,
        geo_type,
        geoid,
        count(*) as n_rows,
        count(estimate) as n_values
    from marts.fct_indicator_values
    group by all
),

measured as (
    select distinct indicator_id, vintage_year, geo_level
    from seeds.seed_indicator_variables
),

indicators as (
    select
        'indicator' as item_type,
        m.indicator_id || ' ' || m.vintage_year || ' ' || m.geo_level as item,
        coalesce(sum(p.n_values), 0) as n_values,
        case when coalesce(sum(p.n_values), 0) = 0 then format(
            'indicator {} (vintage {}, {} level) is configured in config/indicators.yaml but has {} published values ({} rows)',
            m.indicator_id, m.vintage_year, m.geo_level, coalesce(sum(p.n_values), 0), coalesce(sum(p.n_rows), 0)
        ) end as problem
    from measured as m
    left join published as p
        on p.indicator_id = m.indicator_id and p.vintage_year = m.vintage_year and p.geo_type = m.geo_level
    group by m.indicator_id, m.vintage_year, m.geo_level
),

catalog as (
    select
        'indicator' as item_type,
        i.indicator_id as item,
        coalesce(sum(p.n_values), 0) as n_values,
        case when coalesce(sum(p.n_values), 0) = 0 then format(
            'indicator {} is in config/indicators.yaml but has no published value', i.indicator_id
        ) end as problem
    from seeds.seed_indicators as i
    left join published as p using (indicator_id)
    group by i.indicator_id
),

regions as (
    select
        'ach region' as item_type,
        r.ach_id as item,
        coalesce(sum(p.n_values), 0) as n_values,
        case when coalesce(sum(p.n_rows), 0) = 0 then format(
            'ACH region {} of config/ach_regions.yaml has no published row', r.ach_id
        ) end as problem
    from seeds.seed_ach_regions as r
    left join published as p on p.geo_type = 'ach' and p.geoid = r.ach_id
    group by r.ach_id
),

neighborhoods as (
    select
        'neighborhood' as item_type,
        n.neighborhood_id as item,
        coalesce(sum(p.n_values), 0) as n_values,
        case when coalesce(sum(p.n_rows), 0) = 0 then format(
            'neighborhood {} (config/{}) has no published row: no tract it overlaps has data',
            n.neighborhood_id, n.source_file
        ) end as problem
    from seeds.seed_neighborhoods as n
    left join published as p on p.geo_type = 'neighborhood' and p.geoid = n.neighborhood_id
    group by n.neighborhood_id, n.source_file
)

select * from indicators
union all select * from catalog
union all select * from regions
union all select * from neighborhoods
order by all
