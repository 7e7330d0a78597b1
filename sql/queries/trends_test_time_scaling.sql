-- trends.test_time_scaling: what more test-time compute buys within one model (issue 19). A pair is one model (base
-- version) on one benchmark; every figure compares a model only with itself, in percentage points: per effort step
-- (minimal < low < medium < high < xhigh), per doubling of the thinking budget, thinking on minus off, per 10x cost
-- per run and per 10x output tokens per sample, and diminishing returns (last effort step's gain minus the first's).
-- Two methods: the median over pairs (primary) and the pooled within-pair slope; 90% CIs from a seeded bootstrap
-- over pairs. benchmark = 'pooled' pools every percentage benchmark; rows that give no figure say why in
-- `status_reason` ('insufficient data': fewer than 3 pairs; 'not identified': no within-pair variation, or an
-- unusable CI; the ECI's effort row: one index value per model for all its settings).
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_test_time_scaling.sql
select
    measure,
    benchmark,
    method,
    round(estimate, 2) as estimate,
    round(ci_low, 2) as ci_low,
    round(ci_high, 2) as ci_high,
    n_pairs,
    n_points,
    unit,
    status,
    status_reason
from trends.test_time_scaling
order by
    case measure
        when 'per_effort_step' then 1
        when 'per_budget_doubling' then 2
        when 'thinking_on_vs_off' then 3
        when 'per_10x_cost_per_run' then 4
        when 'per_10x_output_tokens' then 5
        when 'diminishing_returns' then 6
        else 7
    end,
    benchmark <> 'pooled',
    status <> 'ok',
    benchmark,
    method;
