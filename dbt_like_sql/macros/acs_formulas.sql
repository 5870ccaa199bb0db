-- The Census Bureau's formulas for the margin of error (90%) of derived ACS estimates, as DuckDB macros, so every
-- model uses one definition and the unit tests check that same definition (tests/sql/test_acs_formulas.py).
-- U.S. Census Bureau, "Understanding and Using American Community Survey Data: What All Data Users Need to
-- Know" (2020), ch. 8, and the ACS General Handbook (2018), ch. 8. Loaded before every SQL model runs.

-- Sum or difference of two estimates: sqrt(MOE_a² + MOE_b²).
create or replace macro acs_moe_sum(moe_a, moe_b) as sqrt(moe_a * moe_a + moe_b * moe_b);

-- Proportion p = x / y where x is a subset of y: sqrt(MOE_x² - p²·MOE_y²) / y; when the radicand is negative the
-- ratio formula is used instead, as the Bureau instructs.
create or replace macro acs_moe_proportion(x, y, moe_x, moe_y) as
    case
        when moe_x * moe_x - (x / y) * (x / y) * moe_y * moe_y >= 0
            then sqrt(moe_x * moe_x - (x / y) * (x / y) * moe_y * moe_y) / y
        else sqrt(moe_x * moe_x + (x / y) * (x / y) * moe_y * moe_y) / y
    end;

-- Ratio r = x / y where x is not a subset of y: sqrt(MOE_x² + r²·MOE_y²) / y.
create or replace macro acs_moe_ratio(x, y, moe_x, moe_y) as
    sqrt(moe_x * moe_x + (x / y) * (x / y) * moe_y * moe_y) / abs(y);

-- Product a·b: sqrt(a²·MOE_b² + b²·MOE_a²).
create or replace macro acs_moe_product(a, b, moe_a, moe_b) as sqrt(a * a * moe_b * moe_b + b * b * moe_a * moe_a);

-- A published confidence interval at another level converted to a 90% MOE: z_90 × (upper - lower) / (2 × z),
-- z = 1.96 for 95% limits, z_90 = 1.645 (symmetric limits assumed).
create or replace macro moe90_from_ci(lower_limit, upper_limit, z_level, z_90) as
    z_90 * (upper_limit - lower_limit) / (2 * z_level);

-- The Bureau's test for a difference of two estimates: |x - y| / sqrt(SE_x² + SE_y²) > z, SE = MOE / 1.645 for 90%
-- MOEs, z = 1.645 for a test at 90% (estimates treated as independent).
create or replace macro acs_significant_difference(x, y, moe_x, moe_y, z) as
    abs(x - y) / sqrt((moe_x / 1.645) * (moe_x / 1.645) + (moe_y / 1.645) * (moe_y / 1.645)) > z;
