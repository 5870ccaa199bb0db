-- Vintage-correct geographies: every county a source publishes must exist in the county geography of the
-- source's own year (the 2017 boundaries with config/checks.yaml `county_changes` up to that year applied; the
-- geography year is the vintage year unless `geography_year_overrides` says otherwise). A Connecticut planning
-- region in a 2014-2018 file, or an old Connecticut county in a 2018-2022 file, is a wrong geography even though
-- both codes exist in some boundary vintage. One row per source x vintage x county, `problem` null when valid;
-- plus the config's own integrity: the changes must turn the 2017 boundaries into the 2023 ones exactly.
with counties as (
    select distinct
        case when dataset = 'cdc_places' then 'cdc_places/' || release else dataset end as dataset,
        vintage_year,
        geoid
    from (
        select dataset, null as release, vintage_year, geoid
        from intermediate.int_source_estimates
        where geo_level = 'county' and dataset <> 'cdc_places'
        union all
        select dataset, release, vintage_year, geoid
        from raw.cdc_places_raw
        where geo_level = 'county'
    )
),

years as (
    select
        c.*,
        coalesce(o.geography_year, c.vintage_year::integer) as geography_year
    from counties as c
    left join cfg_geography_year_overrides as o on o.dataset = c.dataset and o.vintage_year = c.vintage_year
),

base as (
    select geoid from geographies.ref_county_geoids where boundary_vintage = '2017'
),

judged as (
    select
        y.dataset,
        y.vintage_year,
        y.geoid,
        (select any_value(ch.note) from cfg_county_changes as ch
            where ch.geoid = y.geoid and ch.change = 'removed' and ch.effective_year <= y.geography_year) as removed_note,
        (select any_value(ch.effective_year) from cfg_county_changes as ch
            where ch.geoid = y.geoid and ch.change = 'added' and ch.effective_year > y.geography_year) as added_later,
        (select any_value(ch.note) from cfg_county_changes as ch
            where ch.geoid = y.geoid and ch.change = 'added' and ch.effective_year > y.geography_year) as added_note,
        y.geoid in (select geoid from base)
        or y.geoid in (select geoid from cfg_county_changes where change = 'added') as known,
        y.geography_year
    from years as y
)

select
    dataset,
    vintage_year,
    geoid,
    case
        when removed_note is not null then format(
            '{} {}: county {} no longer existed in the {} county geography ({}; config/checks.yaml county_changes)',
            dataset, vintage_year, geoid, geography_year, removed_note
        )
        when added_later is not null then format(
            '{} {}: county {} did not exist yet in the {} county geography (from {}: {}; config/checks.yaml county_changes)',
            dataset, vintage_year, geoid, geography_year, added_later, added_note
        )
        when not known then format(
            '{} {}: county {} is in neither county boundary vintage nor config/checks.yaml county_changes',
            dataset, vintage_year, geoid
        )
    end as problem
from judged

union all

select
    'config/checks.yaml county_changes' as dataset,
    '2023' as vintage_year,
    geoid,
    format(
        'config/checks.yaml county_changes: county {} is {} (the changes must turn the 2017 county boundaries into the 2023 ones)',
        geoid, why
    ) as problem
from (
    select geoid, 'in the 2023 boundaries but neither in 2017 nor added' as why
    from geographies.ref_county_geoids
    where boundary_vintage = '2023'
      and geoid not in (select geoid from base)
      and geoid not in (select geoid from cfg_county_changes where change = 'added')
    union all
    select geoid, 'in the 2017 boundaries, not removed, but missing from 2023'
    from base
    where geoid not in (select geoid from cfg_county_changes where change = 'removed')
      and geoid not in (select geoid from geographies.ref_county_geoids where boundary_vintage = '2023')
    union all
    select geoid, 'listed as ' || change || ' but ' || case when change = 'added' then 'absent from' else 'still in' end
        || ' the 2023 boundaries'
    from cfg_county_changes
    where (change = 'added') <> (geoid in (select geoid from geographies.ref_county_geoids where boundary_vintage = '2023'))
)
order by all
