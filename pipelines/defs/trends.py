"""Trends: the fits of DESIGN.md's analysis, computed from the marts and stored in `trends.*`.

One asset per table (the two capability tables are one multi-asset: they share their fits; so are the two
headline tables: the previous build's copies of both are read before either is replaced), each with a blocking
check (finite numbers where status is 'ok', estimates inside their CIs, n above the fit's minimum) that runs in the
asset's own step, on the frame it wrote (a step of its own cost each check 60 ms of Dagster's bookkeeping), and
whose description, when it fails, names each broken rule, its count of rows and one of them. The analysis itself lives
in `pipelines/trends/fits.py` and `pipelines/trends/`.
"""

from collections.abc import Callable

import duckdb
import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    asset,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import warehouse_connection
from pipelines.trends import (
    benchmarks,
    capabilities,
    costs,
    efficiency,
    forecasts,
    headlines,
    inference_prices,
    inputs,
    pooled,
    test_time,
    thresholds,
)
from pipelines.trends.checks import TableContract, table_problems
from pipelines.trends.fits import MIN_POINTS, InsufficientData
from pipelines.trends.status import Status
from pipelines.warehouse import query_frame, read_table, replace_table

MODELS = ["marts", "models"]
HARDWARE = ["marts", "hardware"]
SCORES = ["marts", "benchmark_scores"]  # with compute and frontier flags
COSTS = ["trends", "model_costs"]  # observed, else imputed, training cost per model
INFERENCE_SCORES = ["marts", "inference_scores"]  # Epoch's price study: USD per 1M tokens and scores per model
GROUP = "trends"
KINDS = {"python", "duckdb"}


# -- the tables' contracts, checked by each asset on the frame it wrote ------------------------------------------

GROWTH = (
    ("slope_oom_per_year", "slope_ci_low", "slope_ci_high"),
    ("growth_per_year", "growth_ci_low", "growth_ci_high"),
    ("doubling_months", "doubling_months_ci_low", "doubling_months_ci_high"),
)


def _triples(*stems: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((s, f"{s}_ci_low", f"{s}_ci_high") for s in stems)


CONTRACTS: dict[str, TableContract] = {
    "fits": TableContract(
        "fits",
        keys=("metric", "subset", "window_kind", "window_start", "window_end"),
        required=("slope_oom_per_year", "slope_ci_low", "slope_ci_high", "growth_per_year", "intercept", "r2"),
        intervals=GROWTH,
        minimums=(("n", MIN_POINTS),),
    ),
    "levels": TableContract(
        "levels",
        keys=("metric", "subset", "year"),
        required=("median", "year"),
        minimums=(("n", 1),),
        status_column=None,
    ),
    "breakpoints": TableContract(
        "breakpoints",
        keys=("metric", "subset", "kind"),
        required=("break_date", "slope_before_oom_per_year", "slope_after_oom_per_year", "r2"),
        intervals=(
            ("break_date", "break_date_ci_low", "break_date_ci_high"),
            ("slope_before_oom_per_year", "slope_before_ci_low", "slope_before_ci_high"),
            ("slope_after_oom_per_year", "slope_after_ci_low", "slope_after_ci_high"),
            ("growth_before_per_year", "growth_before_ci_low", "growth_before_ci_high"),
            ("growth_after_per_year", "growth_after_ci_low", "growth_after_ci_high"),
        ),
        minimums=(("n", 2 * MIN_POINTS),),
    ),
    "compute_decomposition": TableContract(
        "compute_decomposition",
        keys=("subset", "window_kind", "window_start", "window_end", "flop_per_usd_basis"),
        required=(
            "compute_growth_per_year",
            "spending_growth_per_year",
            "flop_per_usd_growth_per_year",
            "implied_compute_growth_per_year",
            "residual_oom_per_year",
        ),
        intervals=(
            ("compute_growth_per_year", "compute_growth_ci_low", "compute_growth_ci_high"),
            ("spending_growth_per_year", "spending_growth_ci_low", "spending_growth_ci_high"),
            ("flop_per_usd_growth_per_year", "flop_per_usd_growth_ci_low", "flop_per_usd_growth_ci_high"),
            ("implied_compute_growth_per_year", "implied_compute_growth_ci_low", "implied_compute_growth_ci_high"),
            ("residual_oom_per_year", "residual_ci_low", "residual_ci_high"),
            ("residual_factor_per_year", "residual_factor_ci_low", "residual_factor_ci_high"),
        ),
        minimums=(("n_compute", MIN_POINTS), ("n_spending", MIN_POINTS), ("n_flop_per_usd", MIN_POINTS)),
    ),
    "model_costs": TableContract(
        "model_costs",
        keys=("model_key", "model_name"),
        required=("imputed_cost_usd_2023", "imputed_cost_low_usd_2023", "imputed_cost_high_usd_2023", "cost_usd_2023"),
        intervals=(("imputed_cost_usd_2023", "imputed_cost_low_usd_2023", "imputed_cost_high_usd_2023"),),
        status_column=None,
    ),
    "benchmark_scaling": TableContract(
        "benchmark_scaling",
        keys=("benchmark", "x", "cost_basis"),
        required=("floor", "ceiling", "slope", "midpoint", "score_at_median", "points_per_10x_at_median"),
        intervals=_triples("slope", "points_per_10x_at_median", "multiplier_to_halve_error"),
        minimums=(("n_models", benchmarks.MIN_BENCHMARK_MODELS),),
    ),
    "benchmark_progress": TableContract(
        "benchmark_progress",
        keys=("benchmark",),
        required=("points_per_year", "points_per_year_ci_low", "points_per_year_ci_high", "intercept", "slope"),
        intervals=_triples("points_per_year", "years_to_halve_error"),
        minimums=(("n_record_points", benchmarks.MIN_RECORD_POINTS),),
    ),
    "per_dollar_vs_per_year": TableContract(
        "per_dollar_vs_per_year",
        keys=("benchmark",),
        required=("compute_multiplier_to_halve_error", "years_to_halve_error"),
        intervals=_triples(
            "compute_multiplier_to_halve_error", "dollar_multiplier_to_halve_error", "years_to_halve_error"
        ),
        minimums=(
            ("n_models", benchmarks.MIN_BENCHMARK_MODELS),
            ("n_record_points", benchmarks.MIN_RECORD_POINTS),
        ),
    ),
    "capability_trends": TableContract(
        "capability_trends",
        keys=("index", "measure", "subset", "cost_basis", "window_start", "window_end"),
        required=("estimate", "ci_low", "ci_high", "unit"),
        intervals=(
            ("estimate", "ci_low", "ci_high"),
            ("doubling_months", "doubling_months_ci_low", "doubling_months_ci_high"),
            ("break_date", "break_date_ci_low", "break_date_ci_high"),
        ),
        minimums=(("n", capabilities.MIN_CAPABILITY_POINTS),),
    ),
    "capability_decomposition": TableContract(
        "capability_decomposition",
        keys=("index",),
        required=("compute_equivalent_multiplier_per_year", "ci_low", "ci_high", "share_explained_by_compute"),
        intervals=(
            ("compute_equivalent_multiplier_per_year", "ci_low", "ci_high"),
            ("share_explained_by_compute", "share_ci_low", "share_ci_high"),
            ("residual_multiplier_per_year", "residual_ci_low", "residual_ci_high"),
            (
                "frontier_compute_growth_per_year",
                "frontier_compute_growth_ci_low",
                "frontier_compute_growth_ci_high",
            ),
        ),
        minimums=(
            ("n_records", capabilities.MIN_CAPABILITY_POINTS),
            ("n_compute", capabilities.MIN_CAPABILITY_POINTS),
        ),
    ),
    "compute_to_threshold_points": TableContract(
        "compute_to_threshold_points",
        keys=("benchmark", "threshold", "date", "model_name"),
        required=("least_compute_flop", "date", "threshold"),
        status_column=None,
    ),
    "compute_to_threshold": TableContract(
        "compute_to_threshold",
        keys=("benchmark", "threshold"),
        required=("reduction_per_year", "halving_time_months"),
        intervals=_triples("halving_time_months", "reduction_per_year"),
        minimums=(("n_improving_points", thresholds.MIN_IMPROVING_POINTS),),
    ),
    "forecasts": TableContract(
        "forecasts",
        keys=("target_label",),
        required=("predicted_date", "pi_low_date", "pi_high_date", "growth_per_year"),
        intervals=(("predicted_date", "pi_low_date", "pi_high_date"),),
        minimums=(("n", MIN_POINTS),),
    ),
    "headline_changes": TableContract(
        "headline_changes",
        keys=("headline", "subset"),
        required=("estimate", "ci_low", "ci_high", "scale_estimate", "window_end", "moved"),
        intervals=(
            ("estimate", "ci_low", "ci_high"),
            ("scale_estimate", "scale_ci_low", "scale_ci_high"),
            ("previous_estimate", "previous_ci_low", "previous_ci_high"),
        ),
        minimums=(("n", headlines.MIN_HEADLINE_POINTS),),
    ),
    "headline_inputs": TableContract(
        "headline_inputs",
        keys=("headline", "key", "name"),
        required=("headline", "key", "date", "value"),
        status_column=None,
    ),
    "test_time_scaling": TableContract(
        "test_time_scaling",
        keys=("measure", "benchmark", "method"),
        required=("estimate", "ci_low", "ci_high", "unit", "note"),
        intervals=(("estimate", "ci_low", "ci_high"),),
        minimums=(("n_pairs", test_time.MIN_PAIRS),),
        columns=tuple(test_time.SCHEMA.items()),
        statuses=test_time.STATUSES,
    ),
    "inference_price_points": TableContract(
        "inference_price_points",
        keys=("dataset", "benchmark", "threshold_model", "model_name", "release_date"),
        required=("price", "release_date", "threshold_score"),
        status_column=None,
        columns=tuple(inference_prices.POINTS_SCHEMA.items()),
        positive=("price",),
    ),
    "inference_price_trends": TableContract(
        "inference_price_trends",
        keys=("dataset", "benchmark", "threshold_model"),
        required=("factor_per_year", "ci_low", "ci_high", "r_squared", "start_date", "end_date"),
        intervals=(("factor_per_year", "ci_low", "ci_high"),),
        minimums=(("n", inference_prices.MIN_TREND_POINTS), ("span_days", inference_prices.MIN_SPAN_DAYS)),
        columns=tuple(inference_prices.TRENDS_SCHEMA.items()),
        statuses=inference_prices.STATUSES,
        positive=("factor_per_year", "ci_low", "ci_high"),
    ),
}


def check_result(frame: pl.DataFrame, contract: TableContract) -> AssetCheckResult:
    """The check of one table's frame: failed, its description names each broken rule, its count and a row."""
    problems = table_problems(frame, contract)
    passed = bool(problems.pop("passed"))
    description = str(problems.pop("description"))
    return AssetCheckResult(
        passed=passed, severity=AssetCheckSeverity.ERROR, description=description, metadata=problems
    )


def check_name(table: str) -> str:
    return f"{table}_are_consistent"


def check_spec(table: str) -> AssetCheckSpec:
    """The blocking check of `trends.<table>`, run inside the asset's own step on the frame it wrote."""
    return AssetCheckSpec(
        check_name(table),
        asset=AssetKey(["trends", table]),
        blocking=True,
        description=f"trends.{table}: where status is ok, numbers are finite, CIs hold their estimates, n is enough.",
    )


def _ok_rows(frame: pl.DataFrame) -> int:
    return frame.filter(pl.col("status") == Status.OK).height if "status" in frame.columns else frame.height


def _store(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, **extra: object) -> MaterializeResult:
    """Write `frame` as `trends.<table>`; its row counts, and its blocking check (a failure fails the step, as its own
    step did, which skips everything downstream and keeps the run from publishing)."""
    rows = replace_table(con, "trends", table, frame)
    key = AssetKey(["trends", table])
    check = check_result(frame, CONTRACTS[table])._replace(asset_key=key, check_name=check_name(table))
    return MaterializeResult(
        asset_key=key, metadata={"rows": rows, "ok_rows": _ok_rows(frame), **extra}, check_results=[check]
    )


def trend_spec(table: str, deps: list, description: str) -> AssetSpec:
    """One table of a multi-asset: `trends.<table>`, in the trends group."""
    return AssetSpec(["trends", table], deps=deps, group_name=GROUP, kinds=KINDS, description=description)


def trend_asset(table: str, deps: list) -> Callable:
    """The `@asset` of `trends.<table>`, with its blocking check."""
    return asset(key=["trends", table], deps=deps, group_name=GROUP, kinds=KINDS, check_specs=[check_spec(table)])


@trend_asset("fits", deps=[MODELS, HARDWARE])
def trends_fits(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.fits: growth per year (90% bootstrap CI) of every input and efficiency metric by subset and window."""
    with warehouse_connection(warehouse) as con:
        models = inputs.load_models(con)
        hardware = efficiency.load_hardware(con)
        snapshot = inputs.models_snapshot(con)
        rows = inputs.input_fit_rows(models, snapshot) + efficiency.hardware_fit_rows(hardware)
        metric_order = [m.name for m in inputs.MODEL_METRICS] + [m.name for m in efficiency.HARDWARE_METRICS]
        frame = inputs.order_fits(rows, metric_order)
        repeated = inputs.repeated_models(con)
        headline = frame.row(0, named=True)
        result = _store(
            con,
            "fits",
            frame,
            growth_per_year=headline["growth_per_year"],
            growth_ci_low=headline["growth_ci_low"],
            growth_ci_high=headline["growth_ci_high"],
            n=headline["n"],
            repeated_model_rows=repeated,
        )
    if repeated:
        context.log.warning(
            f"marts.models repeats {repeated} model rows (a model file loaded more than once?): each model counts "
            "once in the fits, but the marts should have one row per model"
        )
    context.log.info(
        f"training compute, notable since 2010: {headline['growth_per_year']:.2f}x/year "
        f"(90% CI {headline['growth_ci_low']:.2f}-{headline['growth_ci_high']:.2f}), n={headline['n']}"
    )
    return result


@trend_asset("levels", deps=[MODELS])
def trends_levels(warehouse: DuckDBResource) -> MaterializeResult:
    """trends.levels: median and quartiles of each input metric by publication year (e.g. tokens per parameter)."""
    with warehouse_connection(warehouse) as con:
        frame = inputs.levels_frame(inputs.load_models(con), inputs.models_snapshot(con))
        return _store(con, "levels", frame)


@trend_asset("breakpoints", deps=[MODELS])
def trends_breakpoints(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.breakpoints: the single best break date in compute and parameter trends, continuous or with a jump."""
    with warehouse_connection(warehouse) as con:
        frame = inputs.breakpoints_frame(inputs.load_models(con), inputs.models_snapshot(con))
        result = _store(con, "breakpoints", frame)
    for row in frame.filter(pl.col("status") == Status.OK).iter_rows(named=True):
        context.log.info(
            f"{row['metric']} / {row['subset']} / {row['kind']}: break {row['break_date']} "
            f"(90% CI {row['break_date_ci_low']}..{row['break_date_ci_high']})"
        )
    return result


@trend_asset("compute_decomposition", deps=[MODELS, HARDWARE])
def compute_decomposition(warehouse: DuckDBResource) -> MaterializeResult:
    """trends.compute_decomposition: compute growth against spending growth × FLOP-per-dollar growth, residual."""
    with warehouse_connection(warehouse) as con:
        models = inputs.load_models(con)
        frame = efficiency.decomposition_frame(models, efficiency.load_hardware(con), inputs.models_snapshot(con))
        return _store(con, "compute_decomposition", frame)


@trend_asset("model_costs", deps=[MODELS])
def model_costs(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.model_costs: observed training cost and cost imputed from compute × the cost-per-FLOP trend."""
    with warehouse_connection(warehouse) as con:
        models = inputs.load_models(con)
        trend = costs.fit_cost_trend(models)
        frame = costs.model_costs_frame(models, trend)
        result = _store(con, "model_costs", frame, imputed=int(frame["is_imputed"].sum()), basis=trend.basis)
    context.log.info(f"imputation basis: {trend.basis}")
    return result


def _cost_trend_or_none(models: pl.DataFrame) -> costs.CostTrend | None:
    try:
        return costs.fit_cost_trend(models)
    except InsufficientData:
        return None


@trend_asset("benchmark_scaling", deps=[SCORES, MODELS, COSTS])
def benchmark_scaling(warehouse: DuckDBResource) -> MaterializeResult:
    """trends.benchmark_scaling: logistic score vs log10 compute / cost per benchmark, per 10x and to halve error."""
    with warehouse_connection(warehouse) as con:
        models = inputs.load_models(con)
        scores = benchmarks.load_scores(con)
        best = benchmarks.best_by_model(scores, models, benchmarks.load_model_costs(con))
        frame = benchmarks.scaling_frame(best, _cost_trend_or_none(models), benchmarks.scores_snapshot(scores))
        return _store(con, "benchmark_scaling", frame)


@trend_asset("benchmark_progress", deps=[SCORES, MODELS])
def benchmark_progress(warehouse: DuckDBResource) -> MaterializeResult:
    """trends.benchmark_progress: the record score over time per benchmark, points per year, years to halve error."""
    with warehouse_connection(warehouse) as con:
        scores = benchmarks.load_scores(con)
        versions = benchmarks.best_by_version(scores, inputs.load_models(con))
        frame = benchmarks.progress_frame(versions, benchmarks.scores_snapshot(scores))
        return _store(con, "benchmark_progress", frame)


@trend_asset(
    "per_dollar_vs_per_year",
    deps=[["trends", "benchmark_scaling"], ["trends", "benchmark_progress"], SCORES, MODELS, COSTS],
)
def per_dollar_vs_per_year(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.per_dollar_vs_per_year: halving the error took ×N compute, ×M dollars, or Y years; pooled and per
    benchmark."""
    with warehouse_connection(warehouse) as con:
        scaling = read_table(con, "trends", "benchmark_scaling")
        progress = read_table(con, "trends", "benchmark_progress")
        models = inputs.load_models(con)
        scores = benchmarks.load_scores(con)
        best = benchmarks.best_by_model(scores, models, benchmarks.load_model_costs(con))
        versions = benchmarks.best_by_version(scores, models)
        pooled_row = pooled.pooled_row(best, versions, _cost_trend_or_none(models), benchmarks.PER_DOLLAR_COST_BASIS)
        frame = benchmarks.per_dollar_vs_per_year_frame(scaling, progress, pooled_row)
        result = _store(con, "per_dollar_vs_per_year", frame)
    for row in frame.filter(pl.col("status") == Status.OK).iter_rows(named=True):
        context.log.info(
            f"{row['benchmark_name']}: ×{row['compute_multiplier_to_halve_error']:.3g} compute or "
            f"{row['years_to_halve_error']:.2f} years to halve the error (n={row['n_models']})"
        )
    return result


CAPABILITY_DEPS = [SCORES, MODELS, COSTS]


@multi_asset(
    specs=[
        trend_spec(
            "capability_trends",
            CAPABILITY_DEPS,
            "trends.capability_trends: ECI and METR time horizon per year, per 10x compute and dollars, with a "
            "breakpoint.",
        ),
        trend_spec(
            "capability_decomposition",
            [*CAPABILITY_DEPS, ["trends", "fits"]],
            "trends.capability_decomposition: one year of record-setting progress as a compute multiplier, and "
            "compute's share.",
        ),
    ],
    check_specs=[check_spec("capability_trends"), check_spec("capability_decomposition")],
    name="capability_tables",
)
def capability_tables(context: AssetExecutionContext, warehouse: DuckDBResource):
    """trends.capability_trends and trends.capability_decomposition, built together: the decomposition is made of
    the trends' own bootstrap draws, so one run of the fits serves both."""
    with warehouse_connection(warehouse) as con:
        models = inputs.load_models(con)
        scores = capabilities.load_index_scores(con)
        model_costs = benchmarks.load_model_costs(con)
        trends, decomposition = capabilities.capability_tables(scores, models, model_costs, _cost_trend_or_none(models))
        results = [_store(con, "capability_trends", trends), _store(con, "capability_decomposition", decomposition)]
    headline = trends.filter((pl.col("measure") == "per_year") & (pl.col("subset") == capabilities.RECORD_SETTING))
    for row in headline.filter(pl.col("status") == Status.OK).iter_rows(named=True):
        context.log.info(
            f"{row['index']}: {row['estimate']:.3g} {row['unit']} per year along the record-setting versions "
            f"(90% CI {row['ci_low']:.3g}-{row['ci_high']:.3g}), n={row['n']}"
        )
    for row in decomposition.filter(pl.col("status") == Status.OK).iter_rows(named=True):
        context.log.info(
            f"{row['index']}: a year of progress = x{row['compute_equivalent_multiplier_per_year']:.3g} "
            f"compute; compute growth explains {row['share_explained_by_compute']:.0%}"
        )
    yield from results


@trend_asset("compute_to_threshold_points", deps=[SCORES, MODELS])
def compute_to_threshold_points(warehouse: DuckDBResource) -> MaterializeResult:
    """trends.compute_to_threshold_points: each new least-compute model reaching a score threshold, by date."""
    with warehouse_connection(warehouse) as con:
        frame = thresholds.threshold_points_frame(benchmarks.load_scores(con), inputs.load_models(con))
        return _store(con, "compute_to_threshold_points", frame)


@trend_asset("compute_to_threshold", deps=[["trends", "compute_to_threshold_points"], SCORES])
def compute_to_threshold(warehouse: DuckDBResource) -> MaterializeResult:
    """trends.compute_to_threshold: halving time (months) of the least compute reaching each benchmark threshold."""
    with warehouse_connection(warehouse) as con:
        points = read_table(con, "trends", "compute_to_threshold_points")
        sha = query_frame(con, "select any_value(snapshot_sha256) as sha from marts.benchmark_scores")["sha"][0]
        frame = thresholds.thresholds_frame(points, sha or "")
        return _store(con, "compute_to_threshold", frame)


@trend_asset("forecasts", deps=[MODELS])
def trends_forecasts(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.forecasts: extrapolated dates of a $1B / $10B and a 1e27 / 1e28 FLOP frontier run (extrapolations)."""
    with warehouse_connection(warehouse) as con:
        frame = forecasts.forecasts_frame(inputs.load_models(con))
        result = _store(con, "forecasts", frame)
    for row in frame.iter_rows(named=True):
        context.log.info(
            f"{row['target_label']}: {row['predicted_date']} "
            f"(90% PI {row['pi_low_date']}..{row['pi_high_date']}), {row['status']}"
        )
    return result


HEADLINE_DEPS = [["trends", "fits"], ["trends", "capability_trends"], MODELS, HARDWARE, SCORES]


@multi_asset(
    specs=[
        trend_spec(
            "headline_changes",
            HEADLINE_DEPS,
            "trends.headline_changes: each headline growth rate against the previously published build; moved (by "
            "more than the previous 90% CI's width, or its window end by over a year) or not, why, and the rows that "
            "moved it.",
        ),
        trend_spec(
            "headline_inputs",
            HEADLINE_DEPS,
            "trends.headline_inputs: the rows each headline was fitted on (name, date, value), for the next build's "
            "comparison.",
        ),
    ],
    check_specs=[check_spec("headline_changes"), check_spec("headline_inputs")],
    name="headline_tables",
)
def headline_tables(context: AssetExecutionContext, warehouse: DuckDBResource):
    """trends.headline_changes and trends.headline_inputs, built together: the previous build's copies (still in the
    working copy of the published warehouse) are read before either is replaced. A moved headline is logged as a
    warning, so it is seen, not only stored."""
    with warehouse_connection(warehouse) as con:
        changes, rows = headlines.headline_tables(con)
        moved = int(changes["moved"].sum())
        results = [_store(con, "headline_changes", changes, moved=moved), _store(con, "headline_inputs", rows)]
    for line in headlines.moved_lines(changes):
        context.log.warning(line)
    yield from results


@trend_asset("inference_price_points", deps=[AssetKey(INFERENCE_SCORES), AssetKey(SCORES)])
def inference_price_points(warehouse: DuckDBResource) -> MaterializeResult:
    """trends.inference_price_points: each threshold's cheapest models over time (Epoch's rule: cheaper than every
    model kept before, at or above a score that once led), the study's per 1M tokens and the hub's per run."""
    with warehouse_connection(warehouse) as con:
        study = inference_prices.load_study_scores(con)
        frame = inference_prices.inference_price_points(study, inference_prices.load_hub_costs(con))
        return _store(con, "inference_price_points", frame)


@trend_asset("inference_price_trends", deps=[["trends", "inference_price_points"]])
def inference_price_trends(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.inference_price_trends: how fast the cheapest model at a fixed score got cheaper per year, fitted on
    trends.inference_price_points (Epoch's method); 'not identified' rows say why."""
    with warehouse_connection(warehouse) as con:
        frame = inference_prices.trends_from_points(read_table(con, "trends", "inference_price_points"))
        ok = frame.filter(pl.col("status") == Status.OK)
        result = _store(con, "inference_price_trends", frame, trends=frame.height)
    for dataset in (inference_prices.STUDY, inference_prices.HUB):
        factors = frame.filter(pl.col("dataset") == dataset)["factor_per_year"]
        identified = ok.filter(pl.col("dataset") == dataset).height
        if factors.len():
            context.log.info(
                f"{dataset}: {factors.len()} trends ({identified} identified), price falling x{factors.min():.3g} to "
                f"x{factors.max():.3g} per year, median x{factors.median():.3g}"
            )
    return result


EVAL_TOKENS = ["marts", "eval_tokens"]  # output tokens per sample of Epoch's eval runs, per model version and task


@trend_asset("test_time_scaling", deps=[AssetKey(SCORES), AssetKey(EVAL_TOKENS)])
def trends_test_time_scaling(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.test_time_scaling: what more test-time compute buys within one model (points per effort step, per
    budget doubling, thinking on, per 10x cost per run and output tokens), pooled and per benchmark; rows that cannot
    give a figure say why."""
    with warehouse_connection(warehouse) as con:
        frame = test_time.test_time_frame(test_time.load_scores(con), test_time.load_tokens(con))
        result = _store(con, "test_time_scaling", frame)
    pooled_ok = frame.filter((pl.col("benchmark") == test_time.POOLED) & (pl.col("status") == Status.OK))
    for row in pooled_ok.iter_rows(named=True):
        context.log.info(
            f"{row['measure']} ({row['method']}): {row['estimate']:.3g} (90% CI {row['ci_low']:.3g} to "
            f"{row['ci_high']:.3g}) {row['unit']}, {row['n_pairs']} pairs"
        )
    return result


TREND_ASSETS = [
    trends_fits,
    trends_levels,
    trends_breakpoints,
    compute_decomposition,
    model_costs,
    benchmark_scaling,
    benchmark_progress,
    per_dollar_vs_per_year,
    capability_tables,
    compute_to_threshold_points,
    compute_to_threshold,
    trends_forecasts,
    headline_tables,
    inference_price_points,
    inference_price_trends,
    trends_test_time_scaling,
]
