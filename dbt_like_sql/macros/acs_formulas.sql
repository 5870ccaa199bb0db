-- The Census Bureau's formulas for the margin of error (90%) of derived ACS estimates, as DuckDB macros, so every
-- model uses one definition and the unit tests check that same definition (tests/sql/test_acs_formulas.py).
-- U.S. Census Bureau, "Understanding and Using American Community Survey Data: What All Data Users Need to
-- Know" (2020), ch. 8, and the ACS General Handbook (2018), ch. 8. Loaded before every SQL model runs.

-- Sum or difference of two estimates: sqrt(MOE_a² + MOE_b²).
create or replace macro acs_moe_sum(moe_a, moe_b) as sqrt(moe_a * moe_a + moe_b * moe_b);

-- The same rule as an aggregate over many estimates (use it in a grouped query): sqrt(sum of MOE²), where among
-- estimates of zero only the largest MOE is counted, once (the Bureau's rule for summing many zero cells; also
-- tidycensus moe_sum). Rows with a null MOE are skipped; callers decide whether a missing MOE voids the sum.
create or replace macro acs_moe_sum_of(estimate, moe) as
    sqrt(
        sum(case when estimate <> 0 then moe * moe else 0 end)
        + pow(coalesce(max(case when estimate = 0 then moe end), 0), 2)
    );

-- Proportion p = x / y where x is a subset of y: sqrt(MOE_x² - p²·MOE_y²) / y; when the radicand is negative the
-- ratio formula is used instead, as the Bureau instructs.
-- The radicand is one macro, used by the formula and by the models that say which formula applied: computed in two
-- float orders, a radicand of exactly 0 fell on opposite sides of the test (12/26 with MOEs 18/39).
create or replace macro acs_proportion_radicand(x, y, moe_x, moe_y) as
    moe_x * moe_x - (x / y) * (x / y) * moe_y * moe_y;

create or replace macro acs_moe_proportion(x, y, moe_x, moe_y) as
    case
        when acs_proportion_radicand(x, y, moe_x, moe_y) >= 0
            then sqrt(acs_proportion_radicand(x, y, moe_x, moe_y)) / y
        else sqrt(moe_x * moe_x + (x / y) * (x / y) * moe_y * moe_y) / y
    end;

-- Ratio r = x / y where x is not a subset of y: sqrt(MOE_x² + r²·MOE_y²) / y.
create or replace macro acs_moe_ratio(x, y, moe_x, moe_y) as
    sqrt(moe_x * moe_x + (x / y) * (x / y) * moe_y * moe_y) / abs(y);

-- Product a·b: sqrt(a²·MOE_b² + b²·MOE_a²). Computed in double precision: a count in the tens of millions squared
-- overflows DuckDB's DECIMAL(18) when the arguments are decimal literals.
create or replace macro acs_moe_product(a, b, moe_a, moe_b) as
    sqrt(pow(a::double * moe_b::double, 2) + pow(b::double * moe_a::double, 2));

-- A published confidence interval at another level converted to a 90% MOE: z_90 × (upper - lower) / (2 × z),
-- z = 1.96 for 95% limits, z_90 = 1.645 (symmetric limits assumed).
create or replace macro moe90_from_ci(lower_limit, upper_limit, z_level, z_90) as
    z_90 * (upper_limit - lower_limit) / (2 * z_level);

-- The Bureau's test for a difference of two estimates: |x - y| / sqrt(SE_x² + SE_y²) > z, SE = MOE / 1.645 for 90%
-- MOEs, z = 1.645 for a test at 90% (estimates treated as independent).
create or replace macro acs_significant_difference(x, y, moe_x, moe_y, z) as
    abs(x - y) / sqrt((moe_x / 1.645) * (moe_x / 1.645) + (moe_y / 1.645) * (moe_y / 1.645)) > z;
