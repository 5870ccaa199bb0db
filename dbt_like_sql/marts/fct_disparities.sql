/*
description: >-
  Equity-disparity measures for every indicator with race/ethnicity groups, per period and geography, within each
  group set of config/disparities.yaml (groups that partition the population). Group rows (row_type = group)
  compare each group that has a value (not suppressed, any reliability) with the reference group, chosen among
  eligible groups and preferably among those with reliable estimates: rate ratio with its MOE by the ACS ratio formula
  (sqrt(MOE_g² + RR²·MOE_ref²) / ref), rate difference with MOE sqrt(MOE_g² + MOE_ref²), and the Census Bureau's
  significance test for a difference (|difference| / sqrt(SE_g² + SE_ref²) > 1.645 at 90%; the test assumes
  independent estimates). Summary rows (row_type = summary) give the max/min ratio, the index of disparity
  (mean absolute difference of the other groups from the reference, as % of the reference; Pearcy and Keppel
  2002), the between-group
  variance and the population-weighted Theil index (weights: each group's denominator count; Harper and Lynch
  2005), for min_groups_for_summary or more eligible groups. Groups that are suppressed, missing or not of an
  eligible reliability are left out of the reference choice and the summaries, and counted. The reference
  compared with itself has ratio 1 and difference 0 with MOE 0. Neutral indicators (population shares) have no
  disparity.
grain: indicator_id x vintage x geo_type x geo_vintage x geoid x group_set x row_type x group_id
columns:
  indicator_id: indicator id (see indicator_catalog)
  vintage: period of the values compared
  geo_type: county, tract, aiannh, neighborhood or ach
  geo_vintage: boundary vintage (join key with geographies)
  geoid: geography id
  geo_name: geography name
  group_set: the set of groups compared (config/disparities.yaml)
  row_type: group (one group against the reference) or summary (all eligible groups of the set)
  group_id: the group compared (all, on summary rows)
  reference_group: the reference group of the set at this geography and period (null when no comparison is possible)
  reference_rule: how the reference was chosen (most favourable eligible group, or a configured group)
  estimate: the group's value (group rows)
  moe: its 90% MOE
  reference_estimate: the reference group's value
  reference_moe: its 90% MOE
  rate_ratio: estimate / reference_estimate
  rate_ratio_moe: 90% MOE of the ratio (ACS ratio formula); 0 for the reference itself; null when an MOE is unknown
  rate_difference: estimate - reference_estimate, in the indicator's unit
  rate_difference_moe: 90% MOE of the difference
  significant: true when the difference is statistically significant at 90%; null when an MOE is unknown or the row is excluded
  eligible: whether the group's value entered the reference choice and the summaries (a group of low reliability is still compared, with its MOE)
  exclusion_reason: why a group is left out of the reference choice and the summaries (suppressed, no value, reliability)
  max_min_ratio: highest over lowest value among eligible groups (summary rows)
  index_of_disparity: mean absolute difference of the other groups from the reference, as % of the reference (summary rows)
  between_group_variance: sum of population share x (value - population-weighted mean)² (summary rows; needs group counts)
  theil_index: population-weighted Theil index, sum of share x (value/mean) x ln(value/mean) (summary rows; needs group counts and positive values)
  n_groups_in_summary: eligible groups used in the summary
  n_groups_excluded: groups of the set with a row but left out
  excluded_groups: which groups were left out, with the reason
*/
with settings as (
    select * from seeds.seed_disparity_settings
),

catalog as (
    select indicator_id, direction from seeds.seed_indicators where direction <> 'neutral'
),

groups as (
    select
        v.indicator_id,
        v.vintage,
        v.geo_type,
        v.geo_vintage,
        v.geoid,
        v.geo_name,
        s.group_set,
        v.group_id,
        v.estimate,
        v.moe,
        v.denominator,
        v.reliability,
        not v.suppressed and v.estimate is not null as has_value,
        c.direction,
        case
            when v.suppressed then 'suppressed: ' || v.suppression_reason
            when v.estimate is null then 'no value'
            when not list_contains(st.eligible_reliability, v.reliability) then 'reliability ' || v.reliability
        end as exclusion_reason
    from marts.fct_indicator_values as v
    inner join catalog as c using (indicator_id)
    inner join seeds.seed_disparity_group_sets as s using (group_id)
    cross join settings as st
),

sets as (
    -- every group set with a row at this geography and period; a comparison needs two eligible groups
    select
        indicator_id, vintage, geo_type, geo_vintage, geoid, group_set,
        count(*) filter (where exclusion_reason is null) as n_eligible
    from groups
    group by all
),

ranked as (
    -- eligible groups, those with reliable estimates (reference_reliability) first, then the most favourable value
    select
        g.*,
        list_contains(st.reference_reliability, g.reliability) as reference_reliable,
        row_number() over (
            partition by g.indicator_id, g.vintage, g.geo_type, g.geo_vintage, g.geoid, g.group_set
            order by
                list_contains(st.reference_reliability, g.reliability) desc,
                case when g.direction = 'higher_is_better' then -g.estimate else g.estimate end,
                g.group_id
        ) as favour_rank
    from groups as g
    cross join settings as st
    where g.exclusion_reason is null
),

reference as (
    select
        s.indicator_id, s.vintage, s.geo_type, s.geo_vintage, s.geoid, s.group_set,
        case when s.n_eligible >= 2 then coalesce(
            case when st.reference = 'most_favourable' then best.group_id end,
            configured.group_id,
            fallback.group_id
        ) end as reference_group,
        case
            when s.n_eligible < 2 then 'no comparison: fewer than two eligible groups'
            when st.reference = 'most_favourable' and best.reference_reliable then 'most favourable eligible group'
            when st.reference = 'most_favourable'
                then 'most favourable eligible group; no eligible group has a reliable estimate (reference reliability '
                    || best.reliability || ')'
            when configured.group_id is not null then 'configured group ' || st.reference
            when fallback.group_id is not null then 'fallback group ' || st.fallback_reference || ' (' || st.reference || ' not eligible)'
        end as reference_rule
    from sets as s
    cross join settings as st
    left join ranked as best
        on best.favour_rank = 1
        and (best.indicator_id, best.vintage, best.geo_type, best.geo_vintage, best.geoid, best.group_set)
            = (s.indicator_id, s.vintage, s.geo_type, s.geo_vintage, s.geoid, s.group_set)
    left join ranked as configured
        on configured.group_id = st.reference
        and (configured.indicator_id, configured.vintage, configured.geo_type, configured.geo_vintage, configured.geoid, configured.group_set)
            = (s.indicator_id, s.vintage, s.geo_type, s.geo_vintage, s.geoid, s.group_set)
    left join ranked as fallback
        on fallback.group_id = st.fallback_reference
        and (fallback.indicator_id, fallback.vintage, fallback.geo_type, fallback.geo_vintage, fallback.geoid, fallback.group_set)
            = (s.indicator_id, s.vintage, s.geo_type, s.geo_vintage, s.geoid, s.group_set)
),

compared as (
    select
        g.*,
        r.reference_group,
        coalesce(r.reference_rule, 'no comparison: the configured reference group is not eligible') as reference_rule,
        ref.estimate as reference_estimate,
        ref.moe as reference_moe,
        st.significance_z
    from groups as g
    inner join reference as r using (indicator_id, vintage, geo_type, geo_vintage, geoid, group_set)
    left join groups as ref
        on ref.group_id = r.reference_group
        and (ref.indicator_id, ref.vintage, ref.geo_type, ref.geo_vintage, ref.geoid, ref.group_set)
            = (g.indicator_id, g.vintage, g.geo_type, g.geo_vintage, g.geoid, g.group_set)
    cross join settings as st
),

group_rows as (
    select
        indicator_id, vintage, geo_type, geo_vintage, geoid, geo_name, group_set,
        'group' as row_type,
        group_id,
        reference_group,
        reference_rule,
        estimate,
        moe,
        reference_estimate,
        reference_moe,
        -- every group with a value is compared; the reference with itself is exact (ratio 1, difference 0, MOE 0)
        case when has_value and reference_estimate <> 0 then estimate / reference_estimate end as rate_ratio,
        case
            when has_value and group_id = reference_group and reference_estimate <> 0 then 0.0
            when has_value and reference_estimate <> 0
                then acs_moe_ratio(estimate, reference_estimate, moe, reference_moe)
        end as rate_ratio_moe,
        case when has_value and reference_group is not null then estimate - reference_estimate end as rate_difference,
        case
            when has_value and group_id = reference_group then 0.0
            when has_value and reference_group is not null then acs_moe_sum(moe, reference_moe)
        end as rate_difference_moe,
        case
            when not has_value or reference_group is null then null
            when group_id = reference_group then false
            when moe is null or reference_moe is null then null
            when pow(moe, 2) + pow(reference_moe, 2) = 0 then estimate <> reference_estimate
            else acs_significant_difference(estimate, reference_estimate, moe, reference_moe, significance_z)
        end as significant,
        exclusion_reason is null as eligible,
        exclusion_reason
    from compared
),

eligible as (
    select
        c.*,
        c.denominator / sum(c.denominator) over w as share,
        sum(c.denominator * c.estimate) over w / sum(c.denominator) over w as weighted_mean,
        count(c.denominator) over w = count(*) over w as all_have_counts,
        st.min_groups_for_summary
    from compared as c
    cross join settings as st
    where c.exclusion_reason is null and c.reference_group is not null
    window w as (partition by c.indicator_id, c.vintage, c.geo_type, c.geo_vintage, c.geoid, c.group_set)
),

excluded as (
    select
        indicator_id, vintage, geo_type, geo_vintage, geoid, group_set,
        count(*) as n_excluded,
        string_agg(group_id || ' (' || exclusion_reason || ')', '; ' order by group_id) as excluded_groups
    from compared
    where exclusion_reason is not null
    group by all
),

summary_rows as (
    select
        e.indicator_id, e.vintage, e.geo_type, e.geo_vintage, e.geoid,
        any_value(e.geo_name) as geo_name,
        e.group_set,
        'summary' as row_type,
        'all' as group_id,
        any_value(e.reference_group) as reference_group,
        any_value(e.reference_rule) as reference_rule,
        cast(null as double) as estimate,
        cast(null as double) as moe,
        any_value(e.reference_estimate) as reference_estimate,
        any_value(e.reference_moe) as reference_moe,
        cast(null as double) as rate_ratio,
        cast(null as double) as rate_ratio_moe,
        cast(null as double) as rate_difference,
        cast(null as double) as rate_difference_moe,
        cast(null as boolean) as significant,
        true as eligible,
        cast(null as varchar) as exclusion_reason,
        case when min(e.estimate) > 0 then max(e.estimate) / min(e.estimate) end as max_min_ratio,
        case
            when any_value(e.reference_estimate) <> 0 and count(*) > 1
                then sum(abs(e.estimate - e.reference_estimate)) / (count(*) - 1)
                    / abs(any_value(e.reference_estimate)) * 100
        end as index_of_disparity,
        case when bool_and(e.all_have_counts) then sum(e.share * pow(e.estimate - e.weighted_mean, 2)) end
            as between_group_variance,
        case
            when bool_and(e.all_have_counts) and min(e.estimate) > 0
                then sum(e.share * (e.estimate / e.weighted_mean) * ln(e.estimate / e.weighted_mean))
        end as theil_index,
        count(*) as n_groups_in_summary
    from eligible as e
    group by e.indicator_id, e.vintage, e.geo_type, e.geo_vintage, e.geoid, e.group_set
    -- a summary across groups needs min_groups_for_summary of them (config/disparities.yaml)
    having count(*) >= any_value(e.min_groups_for_summary)
)

select
    g.*,
    cast(null as double) as max_min_ratio,
    cast(null as double) as index_of_disparity,
    cast(null as double) as between_group_variance,
    cast(null as double) as theil_index,
    cast(null as bigint) as n_groups_in_summary,
    cast(null as bigint) as n_groups_excluded,
    cast(null as varchar) as excluded_groups
from group_rows as g

union all

select
    s.*,
    coalesce(x.n_excluded, 0) as n_groups_excluded,
    x.excluded_groups
from summary_rows as s
left join excluded as x using (indicator_id, vintage, geo_type, geo_vintage, geoid, group_set)
