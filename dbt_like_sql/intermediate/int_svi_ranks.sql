/*
description: >-
  The CDC/ATSDR Social Vulnerability Index recomputed the CDC way from its inputs, for every release in the
  snapshot and every ranking scope in config/svi.yaml (national: all U.S. counties ranked together, as CDC's
  county files are; state: within each state). Each EP_ input is ranked as Excel's PERCENTRANK.INC (count of
  strictly smaller values / (N - 1); 1 minus that for inputs marked reverse, e.g. 2018 per capita income) and
  rounded to 4 decimals (EPL_); a theme's SPL is the sum of its EPLs and RPL ranks the SPLs the same way; the
  overall SPL_THEMES sums the four theme SPLs and RPL_THEMES ranks it. Counties with no population or a missing
  input are not ranked for what needs that input (CDC SVI documentation, 2018, 2020, 2022). A county alone in its
  ranking group (the District of Columbia within its "state") has no percentile rank: null, with the reason.
grain: vintage_year x scope x geoid x variable
columns:
  vintage_year: SVI release (2018, 2020, 2022)
  vintage: ACS period of the inputs
  scope: national or state
  geoid: 5-digit county FIPS
  geo_name: county and state
  variable: the EP_ input's name (ep_<input>) for its percentile rank (CDC's EPL_), spl_theme<N>, rpl_theme<N>, spl_themes or rpl_themes (CDC's names, lower case)
  estimate: the percentile rank (0-1) or sum of ranks; null when the county is alone in its ranking group
  n_ranked: counties ranked together for this value
  estimate_note: why the estimate is null
*/
with themes as (
    select * from seeds.seed_svi_theme_variables
),

populated as (
    select vintage_year, geoid
    from staging.stg_cdc_svi__estimates
    where variable = 'e_totpop' and estimate > 0
),

inputs as (
    select
        e.vintage_year,
        e.vintage,
        s.scope,
        case when s.scope = 'state' then left(e.geoid, 2) else 'US' end as rank_group,
        e.geoid,
        e.geo_name,
        t.theme,
        t.variable,
        t.reverse,
        e.estimate
    from staging.stg_cdc_svi__estimates as e
    inner join themes as t
        on e.vintage_year = t.vintage_year
        and e.variable = t.variable
    inner join populated as p
        on e.vintage_year = p.vintage_year
        and e.geoid = p.geoid
    cross join seeds.seed_svi_ranking_scopes as s
    where e.estimate is not null
),

epl as (
    select
        vintage_year, vintage, scope, rank_group, geoid, geo_name, theme, variable,
        round(case when reverse then 1 - percent_rank() over w else percent_rank() over w end, 4) as epl,
        count(*) over w_all as n_ranked
    from inputs
    window
        w as (partition by vintage_year, scope, rank_group, variable order by estimate),
        w_all as (partition by vintage_year, scope, rank_group, variable)
),

theme_sizes as (
    select vintage_year, theme, count(*) as n_variables from themes group by all
),

spl as (
    -- a theme is summed only when every one of its inputs was ranked
    select e.vintage_year, e.vintage, e.scope, e.rank_group, e.geoid, e.geo_name, e.theme, round(sum(e.epl), 4) as spl
    from epl as e
    inner join theme_sizes as z using (vintage_year, theme)
    group by e.vintage_year, e.vintage, e.scope, e.rank_group, e.geoid, e.geo_name, e.theme, z.n_variables
    having count(*) = z.n_variables
),

sums as (
    -- theme sums, and the overall sum of the four (theme 0) for counties with all four themes
    select vintage_year, vintage, scope, rank_group, geoid, geo_name, theme, spl from spl
    union all
    select vintage_year, vintage, scope, rank_group, geoid, geo_name, 0, round(sum(spl), 4)
    from spl
    group by vintage_year, vintage, scope, rank_group, geoid, geo_name
    having count(*) = 4
),

ranked_sums as (
    select
        *,
        round(percent_rank() over w, 4) as rpl,
        count(*) over w_all as n_ranked
    from sums
    window
        w as (partition by vintage_year, scope, rank_group, theme order by spl),
        w_all as (partition by vintage_year, scope, rank_group, theme)
),

all_values as (
    select vintage_year, vintage, scope, rank_group, geoid, geo_name, variable, epl as estimate, n_ranked
    from epl
    union all
    select
        vintage_year, vintage, scope, rank_group, geoid, geo_name, 'spl_theme' || if(theme = 0, 's', cast(theme as varchar)),
        spl, n_ranked
    from ranked_sums
    union all
    select
        vintage_year, vintage, scope, rank_group, geoid, geo_name, 'rpl_theme' || if(theme = 0, 's', cast(theme as varchar)),
        rpl, n_ranked
    from ranked_sums
)

-- a percentile rank among one county is undefined (PERCENTRANK.INC divides by N - 1 = 0), and so is a sum of such ranks
select
    vintage_year,
    vintage,
    scope,
    geoid,
    geo_name,
    variable,
    case when n_ranked < 2 then null else estimate end as estimate,
    n_ranked,
    case
        when n_ranked < 2
            then 'not ranked: the only county in its ranking group (' || scope || ' ' || rank_group || ')'
    end as estimate_note
from all_values
