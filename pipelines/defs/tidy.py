"""Group tidy: one Dagster asset per tidy step (`pipelines.tidy.steps.all_steps`), plus the check that benchmark
model names still match the model files."""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    asset_check,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import warehouse_connection
from pipelines.layers import RAW, TIDY
from pipelines.tidy.steps import TidyStep, all_steps, run_step
from pipelines.warehouse import first_row


def tidy_asset(step: TidyStep) -> AssetsDefinition:
    """The asset of one step: one key per table it writes, built together in one step."""

    @multi_asset(
        specs=[
            AssetSpec(
                [TIDY, table],
                deps=[AssetKey([RAW, name]) for name in step.sources],
                group_name=TIDY,
                kinds={"polars", "duckdb"},
                description=f"tidy.{table}: {step.description}",
            )
            for table in step.tables
        ],
        name=f"tidy_{step.name}",
    )
    def _tidy(context: AssetExecutionContext, warehouse: DuckDBResource) -> Iterator[MaterializeResult]:
        with warehouse_connection(warehouse) as con:
            counts, rejected = run_step(con, step)
        context.log.info(f"tidy {step.name}: {counts}; {rejected} values rejected")
        for table in step.tables:
            yield MaterializeResult(
                asset_key=AssetKey([TIDY, table]), metadata={"rows": counts[table], "rejected": rejected}
            )

    return _tidy


TIDY_ASSETS = [tidy_asset(step) for step in all_steps()]


NAMED_FLOOR = 0.85  # share of score rows whose model version ECI names (0.92 in the 2026-01 snapshot)
MATCHED_FLOOR = 0.60  # share of score rows whose model name is in an Epoch model file (0.74 in 2026-01)


@asset_check(
    asset=AssetKey([TIDY, "scores"]),
    name="model_names_matched",
    blocking=True,
    description=f"At least {NAMED_FLOOR:.0%} of score rows are named by ECI and {MATCHED_FLOOR:.0%} match an "
    "Epoch model: below that the name mapping broke and per-dollar fits would silently shrink.",
)
def scores_model_names_matched(warehouse: DuckDBResource) -> AssetCheckResult:
    with warehouse_connection(warehouse) as con:
        rows, named, matched = first_row(
            con,
            """
            select count(*), count(model_name),
                   count(*) filter (where model_key in (select model_key from tidy.models))
            from tidy.scores
            """,
        )
        unnamed = first_row(
            con, "select benchmark, model_version from tidy.scores where model_name is null order by all"
        )
        unmatched = first_row(
            con,
            """select benchmark, model_version, model_name from tidy.scores
               where model_name is not null and model_key not in (select model_key from tidy.models)
               order by all""",
        )
    named_share = named / rows if rows else 0.0
    matched_share = matched / rows if rows else 0.0
    passed = named_share >= NAMED_FLOOR and matched_share >= MATCHED_FLOOR
    examples = [f"e.g. {rows - named} unnamed, such as {unnamed}"] if unnamed else []
    examples += [f"{named - matched} unmatched, such as {unmatched}"] if unmatched else []
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=(
            f"benchmark_data: {named_share:.1%} of {rows} score rows named by ECI (floor {NAMED_FLOOR:.0%}), "
            f"{matched_share:.1%} matched to Epoch models (floor {MATCHED_FLOOR:.0%}); " + "; ".join(examples)
        ).rstrip("; "),
        metadata={"rows": rows, "named_share": named_share, "matched_share": matched_share},
    )


TIDY_CHECKS = [scores_model_names_matched]
