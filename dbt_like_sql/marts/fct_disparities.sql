/*
description: >-
  Equity-disparity measures for every indicator with race/ethnicity groups, per period and geography, within each
  group set of config/disparities.yaml (groups that partition the population). Group rows (row_type = group) compare
  every group of the set with TWO references, one row each, and reference_type says which: the total population's
  value of the same indicator, period and geography (reference_type = total, reference_group = total), and the set's
  fixed reference group (reference_type = group; white_nh for race_ethnicity and white for race_alone unless
  config/disparities.yaml overrides it for the indicator). Both references are the same at every geography, so ratios
  can be compared across counties and ACHs. Rate ratio with its 90% MOE by the ACS ratio formula
  (sqrt(MOE_g² + RR²·MOE_ref²) / ref), rate difference with MOE sqrt(MOE_g² + MOE_ref²), and the Census Bureau's
  significance test for a difference (|difference| / sqrt(SE_g² + SE_ref²) > 1.645 at 90%, estimates treated as
  independent; against the total that contains the group the test is conservative). A reference that is not of a
  reliable reliability (reference_reliability, default high) is still used, and the row is marked (reference_reliable
  false, the reason in comparison_note); a reference that is suppressed or missing gives no comparison, and
  comparison_note says why. The fixed reference group compared with itself has ratio 1 and difference 0 with MOE 0.
  Summary rows (row_type = summary, reference_type = total, group_id = all), one per indicator x period x geography x
  group set, over the eligible groups (not suppressed, with a value, of an eligible_reliability): max/min ratio;
  index of disparity (Pearcy and Keppel 2002) = (sum_j |r_j - R| / J) / R x 100 with R the total population's value
  and J the number of groups; between-group variance = sum_j p_j (y_j - mu)² and Theil index = sum_j p_j (y_j / mu)
  ln(y_j / mu) (Harper and Lynch 2005; NCI HD*Calc; WHO HEAT) with p_j the group's denominator over the TOTAL
  population's denominator (not renormalised over the groups summed) and mu the total population's value. The share
  of the total covered by the groups summed is published (population_coverage); below min_population_coverage, or
  where the source publishes no group counts, between-group variance and Theil index are null and comparison_note
  says why. Neutral indicators (population shares) have no disparity.
grain: indicator_id x vintage x geo_type x geo_vintage x geoid x group_set x row_type x reference_type x group_id
columns:
  indicator_id: indicator id (see indicator_catalog)
  vintage: period of the values compared
  geo_type: county, tract, aiannh, neighborhood or ach
  geo_vintage: boundary vintage (join key with geographies)
  geoid: geography id
  geo_name: geography name
  group_set: the set of groups compared (config/disparities.yaml group_sets)
  row_type: group (one group against one reference) or summary (all eligible groups of the set against the total)
  reference_type: total (the total population's value of the same indicator, period and geography) or group (the set's fixed reference group); summary rows use total
  group_id: the group compared (all, on summary rows)
  reference_group: the reference's group id (total, or the fixed reference group of the set for this indicator), named even where it has no value
  estimate: the group's value (group rows)
  moe: its 90% MOE
  reliability: the group's reliability (high, medium, low, unknown; group rows)
  reference_estimate: the reference's value (on summary rows the total population's value R, mu)
  reference_moe: its 90% MOE
  reference_reliability: the reference's reliability (null when it has no value)
  reference_reliable: whether the reference's reliability is one of reference_reliability (config/disparities.yaml); false rows are compared and marked; null when the reference has no value
  rate_ratio: estimate / reference_estimate; null when either has no value or the reference is 0
  rate_ratio_moe: 90% MOE of the ratio (ACS ratio formula); 0 for the fixed reference group against itself; null when an MOE is unknown
  rate_difference: estimate - reference_estimate, in the indicator's unit
  rate_difference_moe: 90% MOE of the difference, sqrt(MOE_g² + MOE_ref²)
  significant: true when the difference is statistically significant at 90% (Census Bureau test, z = significance_z); false for the reference group against itself; null when an MOE is unknown or there is no comparison
  eligible: whether the group's value enters the summary measures (group rows; a group of low reliability is still compared, with its MOE)
  exclusion_reason: why a group is left out of the summary measures (suppressed, no value, reliability)
  comparison_note: how to read the row or why a value is missing (no comparison when the group or the reference is suppressed or missing, and why; reference not reliable; not tested when an MOE is unknown; the reference group itself); on summary rows, why a summary measure is null and whether the total is reliable; null when nothing needs saying
  max_min_ratio: highest over lowest value among the eligible groups (summary rows; null when the lowest is 0)
  index_of_disparity: Pearcy and Keppel (2002) index of disparity, (sum_j |r_j - R| / J) / R x 100, R the total population's value, J the eligible groups (summary rows)
  between_group_variance: sum_j p_j (y_j - mu)², p_j = group denominator / total denominator, mu the total population's value (summary rows; in the indicator's unit squared; needs group counts and population_coverage >= min_population_coverage)
  theil_index: sum_j p_j (y_j / mu) ln(y_j / mu) with the same p_j and mu, 0 ln 0 taken as 0 (summary rows; needs group counts, population_coverage >= min_population_coverage and mu > 0)
  population_coverage: share of the total population (total denominator) covered by the eligible groups' denominators (summary rows; null without group or total counts)
  n_groups_in_summary: eligible groups in the summary (J)
  n_groups_excluded: groups of the set with a row but left out of the summary
  excluded_groups: which groups were left out, with the reason
*/
with settings as (
    select * from seeds.seed_disparity_settings
),

catalog as (
    select indicator_id from seeds.seed_indicators where direction <> 'neutral'
),

indicator_values as (
    select
        v.indicator_id, v.vintage, v.geo_type, v.geo_vintage, v.geoid, v.geo_name, v.group_id,
        v.estimate, v.moe, v.denominator, v.reliability,
        coalesce(v.suppressed, false) as suppressed,
        v.suppression_reason
    from marts.fct_indicator_values as v
    inner join catalog using (indicator_id)
),

groups as (
    -- every group of a set with a row; eligibility decides only the summary measures
    select
        v.*,
        s.group_set,
        not v.suppressed and v.estimate is not null as has_value,
        case
            when v.suppressed then 'suppressed: ' || coalesce(v.suppression_reason, 'no reason given')
            when v.estimate is null then 'no value'
            when not list_contains(st.eligible_reliability, v.reliability)
                then 'reliability ' || coalesce(v.reliability, 'missing')
        end as exclusion_reason
    from indicator_values as v
    inner join seeds.seed_disparity_group_sets as s using (group_id)
    cross join settings as st
),

set_geographies as (
    -- each group set with at least one group row at this geography and period
    select indicator_id, vintage, geo_type, geo_vintage, geoid, group_set, any_value(geo_name) as geo_name
    from groups
    group by indicator_id, vintage, geo_type, geo_vintage, geoid, group_set
),

source_groups as (
    -- the groups an indicator has values for in a period anywhere: tells "the source has no such group" from
    -- "this geography has no row"
    select distinct indicator_id, vintage, group_id from indicator_values
),

fixed_reference as (
    -- the set's fixed reference group for each indicator: a per-indicator override, else the set's default
    select
        c.indicator_id,
        d.group_set,
        coalesce(o.reference_group, d.reference_group) as reference_group
    from catalog as c
    cross join seeds.seed_disparity_reference_groups as d
    left join seeds.seed_disparity_reference_groups as o
        on o.indicator_id = c.indicator_id and o.group_set = d.group_set
    where d.indicator_id is null
),

reference_candidates as (
    select
        sg.indicator_id, sg.vintage, sg.geo_type, sg.geo_vintage, sg.geoid, sg.group_set,
        'total' as reference_type,
        'total' as reference_group
    from set_geographies as sg
    union all
    select
        sg.indicator_id, sg.vintage, sg.geo_type, sg.geo_vintage, sg.geoid, sg.group_set,
        'group' as reference_type,
        f.reference_group
    from set_geographies as sg
    inner join fixed_reference as f using (indicator_id, group_set)
),

references_ as (
    select
        rc.*,
        case when not r.suppressed then r.estimate end as reference_estimate,
        case when not r.suppressed then r.moe end as reference_moe,
        case when not r.suppressed and r.estimate is not null then r.reliability end as reference_reliability,
        case when not r.suppressed and r.estimate is not null
            then list_contains(st.reference_reliability, r.reliability) end as reference_reliable,
        -- why there is no reference value (null when there is one)
        case
            when r.group_id is not null and r.suppressed
                then 'reference ' || rc.reference_group || ' suppressed: '
                    || coalesce(r.suppression_reason, 'no reason given')
            when r.group_id is not null and r.estimate is null
                then 'reference ' || rc.reference_group || ' has no value'
            when r.group_id is null and sgp.group_id is null
                then 'the source has no ' || rc.reference_group || ' value for this indicator and period'
            when r.group_id is null
                then 'reference ' || rc.reference_group || ' has no row at this geography'
        end as reference_missing,
        st.reference_reliability as reliable_levels
    from reference_candidates as rc
    cross join settings as st
    left join indicator_values as r
        on r.group_id = rc.reference_group
        and (r.indicator_id, r.vintage, r.geo_type, r.geo_vintage, r.geoid)
            = (rc.indicator_id, rc.vintage, rc.geo_type, rc.geo_vintage, rc.geoid)
    left join source_groups as sgp
        on sgp.group_id = rc.reference_group
        and (sgp.indicator_id, sgp.vintage) = (rc.indicator_id, rc.vintage)
),

compared as (
    select
        g.*,
        r.reference_type,
        r.reference_group,
        r.reference_estimate,
        r.reference_moe,
        r.reference_reliability,
        r.reference_reliable,
        r.reference_missing,
        r.reliable_levels,
        g.has_value and r.reference_missing is null as has_comparison,
        r.reference_type = 'group' and g.group_id = r.reference_group as is_reference,
        st.significance_z
    from groups as g
    inner join references_ as r using (indicator_id, vintage, geo_type, geo_vintage, geoid, group_set)
    cross join settings as st
),

group_rows as (
    select
        indicator_id, vintage, geo_type, geo_vintage, geoid, geo_name, group_set,
        'group' as row_type,
        reference_type,
        group_id,
        reference_group,
        estimate,
        moe,
        reliability,
        reference_estimate,
        reference_moe,
        reference_reliability,
        reference_reliable,
        case when has_comparison and reference_estimate <> 0 then estimate / reference_estimate end as rate_ratio,
        case
            when has_comparison and is_reference and reference_estimate <> 0 then 0.0
            when has_comparison and reference_estimate <> 0
                then acs_moe_ratio(estimate, reference_estimate, moe, reference_moe)
        end as rate_ratio_moe,
        case when has_comparison then estimate - reference_estimate end as rate_difference,
        case
            when has_comparison and is_reference then 0.0
            when has_comparison then acs_moe_sum(moe, reference_moe)
        end as rate_difference_moe,
        case
            when not has_comparison then null
            when is_reference then false
            when moe is null or reference_moe is null then null
            when pow(moe, 2) + pow(reference_moe, 2) = 0 then estimate <> reference_estimate
            else acs_significant_difference(estimate, reference_estimate, moe, reference_moe, significance_z)
        end as significant,
        exclusion_reason is null as eligible,
        exclusion_reason,
        nullif(concat_ws(
            '; ',
            case when not has_value
                then 'no comparison: the group ' || case when suppressed then 'is ' || exclusion_reason else 'has no value' end
            end,
            case when reference_missing is not null then 'no comparison: ' || reference_missing end,
            case when has_comparison and is_reference then 'the reference group itself' end,
            case when has_comparison and reference_estimate = 0 then 'no rate ratio: the reference value is 0' end,
            case when has_comparison and not reference_reliable
                then 'reference not reliable: ' || reference_group || ' reliability '
                    || coalesce(reference_reliability, 'missing') || ' (reliable: '
                    || array_to_string(reliable_levels, ', ') || ')'
            end,
            case when has_comparison and not is_reference and (moe is null or reference_moe is null)
                then 'not tested: an MOE is unknown'
            end
        ), '') as comparison_note
    from compared
),

eligible as (
    -- eligible groups with the total population's value and count (the summary measures' R, mu and population)
    select
        g.*,
        t.reference_estimate as total_estimate,
        t.denominator as total_denominator
    from groups as g
    inner join (
        select r.*, v.denominator
        from references_ as r
        left join indicator_values as v
            on v.group_id = 'total' and not v.suppressed
            and (v.indicator_id, v.vintage, v.geo_type, v.geo_vintage, v.geoid)
                = (r.indicator_id, r.vintage, r.geo_type, r.geo_vintage, r.geoid)
        where r.reference_type = 'total'
    ) as t using (indicator_id, vintage, geo_type, geo_vintage, geoid, group_set)
    where g.exclusion_reason is null
),

eligible_summary as (
    select
        indicator_id, vintage, geo_type, geo_vintage, geoid, group_set,
        count(*) as n_groups,
        min(estimate) as min_estimate,
        max(estimate) as max_estimate,
        count(denominator) = count(*) as all_have_counts,
        any_value(total_denominator) as total_denominator,
        sum(abs(estimate - total_estimate)) as sum_abs_difference,
        sum(denominator) as covered_denominator,
        sum(denominator / total_denominator * pow(estimate - total_estimate, 2)) as bgv_sum,
        sum(
            denominator / total_denominator
            -- 0 ln 0 = 0 (the limit); a negative value gives no term, and min_estimate >= 0 voids the index then
            * case
                when estimate = 0 then 0.0
                when estimate > 0 then (estimate / total_estimate) * ln(estimate / total_estimate)
            end
        ) filter (where total_estimate > 0) as theil_sum
    from eligible
    group by indicator_id, vintage, geo_type, geo_vintage, geoid, group_set
),

excluded as (
    select
        indicator_id, vintage, geo_type, geo_vintage, geoid, group_set,
        count(*) as n_excluded,
        -- sorted text = sorted by group id (the space after the id sorts before any id character); an ordered
        -- string_agg sorts within every group and cost more than the rest of this aggregate
        array_to_string(list_sort(list(group_id || ' (' || exclusion_reason || ')')), '; ') as excluded_groups
    from groups
    where exclusion_reason is not null
    group by indicator_id, vintage, geo_type, geo_vintage, geoid, group_set
),

summary_inputs as (
    select
        sg.indicator_id, sg.vintage, sg.geo_type, sg.geo_vintage, sg.geoid, sg.geo_name, sg.group_set,
        t.reference_estimate,
        t.reference_moe,
        t.reference_reliability,
        t.reference_reliable,
        t.reference_missing,
        t.reliable_levels,
        coalesce(e.n_groups, 0) as n_groups,
        e.min_estimate,
        e.max_estimate,
        e.all_have_counts,
        e.sum_abs_difference,
        e.bgv_sum,
        e.theil_sum,
        case
            when e.all_have_counts and e.total_denominator > 0 then e.covered_denominator / e.total_denominator
        end as population_coverage,
        e.total_denominator,
        coalesce(e.n_groups, 0) >= st.min_groups_for_summary as enough_groups,
        st.min_groups_for_summary,
        st.min_population_coverage,
        coalesce(x.n_excluded, 0) as n_groups_excluded,
        x.excluded_groups
    from set_geographies as sg
    cross join settings as st
    inner join references_ as t
        on t.reference_type = 'total'
        and (t.indicator_id, t.vintage, t.geo_type, t.geo_vintage, t.geoid, t.group_set)
            = (sg.indicator_id, sg.vintage, sg.geo_type, sg.geo_vintage, sg.geoid, sg.group_set)
    left join eligible_summary as e
        on (e.indicator_id, e.vintage, e.geo_type, e.geo_vintage, e.geoid, e.group_set)
            = (sg.indicator_id, sg.vintage, sg.geo_type, sg.geo_vintage, sg.geoid, sg.group_set)
    left join excluded as x
        on (x.indicator_id, x.vintage, x.geo_type, x.geo_vintage, x.geoid, x.group_set)
            = (sg.indicator_id, sg.vintage, sg.geo_type, sg.geo_vintage, sg.geoid, sg.group_set)
),

summary_rows as (
    select
        indicator_id, vintage, geo_type, geo_vintage, geoid, geo_name, group_set,
        'summary' as row_type,
        'total' as reference_type,
        'all' as group_id,
        'total' as reference_group,
        cast(null as double) as estimate,
        cast(null as double) as moe,
        cast(null as varchar) as reliability,
        reference_estimate,
        reference_moe,
        reference_reliability,
        reference_reliable,
        cast(null as double) as rate_ratio,
        cast(null as double) as rate_ratio_moe,
        cast(null as double) as rate_difference,
        cast(null as double) as rate_difference_moe,
        cast(null as boolean) as significant,
        cast(null as boolean) as eligible,
        cast(null as varchar) as exclusion_reason,
        nullif(concat_ws(
            '; ',
            case when not enough_groups
                then 'no summary: ' || n_groups || ' eligible group(s), fewer than ' || min_groups_for_summary
            end,
            case when enough_groups and reference_missing is not null
                then 'no index of disparity, between-group variance or Theil index: ' || reference_missing
            end,
            case when enough_groups and reference_missing is null and reference_estimate = 0
                then 'no index of disparity or Theil index: the total population''s value is 0'
            end,
            case when enough_groups and reference_missing is null and not reference_reliable
                then 'total not reliable: reliability ' || reference_reliability || ' (reliable: '
                    || array_to_string(reliable_levels, ', ') || ')'
            end,
            case when enough_groups and min_estimate <= 0 then 'no max/min ratio: the lowest value is 0' end,
            case
                when not enough_groups or reference_missing is not null then null
                when not all_have_counts
                    then 'no between-group variance or Theil index: the source publishes no group counts'
                when total_denominator is null or total_denominator <= 0
                    then 'no between-group variance or Theil index: no total population count'
                when population_coverage < min_population_coverage
                    then 'no between-group variance or Theil index: the eligible groups cover '
                        || round(100 * population_coverage, 1) || '% of the total population, below '
                        || round(100 * min_population_coverage, 1) || '%'
            end
        ), '') as comparison_note,
        case when enough_groups and min_estimate > 0 then max_estimate / min_estimate end as max_min_ratio,
        case
            when enough_groups and reference_estimate <> 0
                then sum_abs_difference / n_groups / abs(reference_estimate) * 100
        end as index_of_disparity,
        case
            when enough_groups and population_coverage >= min_population_coverage and reference_estimate is not null
                then bgv_sum
        end as between_group_variance,
        case
            when enough_groups and population_coverage >= min_population_coverage and reference_estimate > 0
                and min_estimate >= 0
                then theil_sum
        end as theil_index,
        population_coverage,
        n_groups as n_groups_in_summary,
        n_groups_excluded,
        excluded_groups
    from summary_inputs
)

select
    g.*,
    cast(null as double) as max_min_ratio,
    cast(null as double) as index_of_disparity,
    cast(null as double) as between_group_variance,
    cast(null as double) as theil_index,
    cast(null as double) as population_coverage,
    cast(null as bigint) as n_groups_in_summary,
    cast(null as bigint) as n_groups_excluded,
    cast(null as varchar) as excluded_groups
from group_rows as g

union all

select * from summary_rows
