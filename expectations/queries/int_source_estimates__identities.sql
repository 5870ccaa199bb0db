-- Arithmetic identities between published numbers (config/checks.yaml `race_iteration_identities` and
-- `sum_identities`), one row per identity x source vintage x geography where every term is present, with
-- `problem` when the two sides differ by more than the stated tolerance. A disagreement is a warning: the
-- upstream may publish it (PROVENANCE.md: the 2020-24 C27001A file falls about 9% short of B27001), and a person
-- should look before relying on the race groups; it never blocks the release by itself.
with race as (
    select
        r.dataset,
        r.total,
        r.iterated,
        r.max_rel_diff,
        list_transform(string_split(r.iterations, ''), lambda x: replace(r.iterated, '{i}', x)) as parts
    from cfg_race_iteration_identities as r
),

race_sums as (
    select
        'race iterations' as identity,
        r.iterated || ' (' || array_to_string(r.parts, '+') || ') = ' || r.total as terms,
        e.dataset,
        e.vintage_year,
        e.geo_level,
        e.geoid,
        sum(e.estimate) filter (where e.variable = r.total) as total_value,
        sum(e.estimate) filter (where list_contains(r.parts, e.variable)) as parts_value,
        count(e.estimate) filter (where list_contains(r.parts, e.variable)) as n_parts,
        len(r.parts) as n_terms,
        any_value(r.max_rel_diff) * abs(sum(e.estimate) filter (where e.variable = r.total)) as tolerance,
        'config/checks.yaml race_iteration_identities, max_rel_diff ' || any_value(r.max_rel_diff) as rule
    from race as r
    inner join intermediate.int_source_estimates as e
        on e.dataset = r.dataset and (e.variable = r.total or list_contains(r.parts, e.variable))
    group by all
),

sums as (
    select
        'sum of parts' as identity,
        s.total || ' = ' || replace(s.parts, ',', '+') as terms,
        e.dataset,
        e.vintage_year,
        e.geo_level,
        e.geoid,
        sum(e.estimate) filter (where e.variable = s.total) as total_value,
        sum(e.estimate) filter (where list_contains(string_split(s.parts, ','), e.variable)) as parts_value,
        count(e.estimate) filter (where list_contains(string_split(s.parts, ','), e.variable)) as n_parts,
        len(string_split(s.parts, ',')) as n_terms,
        any_value(s.max_abs_diff) as tolerance,
        'config/checks.yaml sum_identities, max_abs_diff ' || any_value(s.max_abs_diff) as rule
    from cfg_sum_identities as s
    inner join intermediate.int_source_estimates as e
        on e.dataset = s.dataset and (e.variable = s.total or list_contains(string_split(s.parts, ','), e.variable))
    group by all
),

compared as (
    select * from race_sums
    union all
    select * from sums
)

select
    identity,
    terms,
    dataset,
    vintage_year,
    geo_level,
    geoid,
    total_value,
    parts_value,
    case
        when abs(parts_value - total_value) > tolerance + 1e-9 then format(
            '{} {} {} {}: {} does not hold: parts sum to {} against a total of {} ({})',
            dataset, vintage_year, geo_level, geoid, terms, parts_value, total_value, rule
        )
    end as problem
from compared
where total_value is not null and n_parts = n_terms
order by all
