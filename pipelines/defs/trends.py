"""Group trends: one Dagster asset per trends step (`pipelines.trends.steps.all_steps`): the fits computed from the
marts and stored in `trends.*`.

Each step is declared beside its code in its trends module, with the `TableContract` of every table it writes. Its
asset has one key per table and, per table, a blocking check (finite numbers where status is 'ok', estimates inside
their CIs, n above the fit's minimum) that runs in the asset's own step, on the frame it wrote (a step of its own
cost each check 60 ms of Dagster's bookkeeping), and whose description, when it fails, names each broken rule, its
count of rows and one of them. A failed check fails the step, which skips everything downstream and keeps the run
from publishing.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import warehouse_connection
from pipelines.layers import TRENDS
from pipelines.trends.steps import TableResult, TrendStep, all_steps, check_name, run_step

KINDS = {"python", "duckdb"}


def check_result(result: TableResult) -> AssetCheckResult:
    """The blocking check of one written table: failed, its description names each broken rule, its count and a
    row; the rules' counts are its metadata."""
    metadata = {k: v for k, v in result.problems.items() if k not in ("passed", "description")}
    return AssetCheckResult(
        asset_key=AssetKey([TRENDS, result.table]),
        check_name=check_name(result.table),
        passed=result.passed,
        severity=AssetCheckSeverity.ERROR,
        description=str(result.problems["description"]),
        metadata=metadata,
    )


def check_spec(table: str) -> AssetCheckSpec:
    """The blocking check of `trends.<table>`, run inside the asset's own step on the frame it wrote."""
    return AssetCheckSpec(
        check_name(table),
        asset=AssetKey([TRENDS, table]),
        blocking=True,
        description=f"trends.{table}: where status is ok, numbers are finite, CIs hold their estimates, n is enough.",
    )


def step_code_version(context: AssetExecutionContext) -> str | None:
    """The code version of the step's tables (one per step: its module and the modules it reads), which keys the
    fits it may reuse; None when the asset has none."""
    versions = sorted({v for v in context.assets_def.code_versions_by_key.values() if v})
    return "+".join(versions) or None


def trend_asset(step: TrendStep) -> AssetsDefinition:
    """The asset of one step: one key per table it writes (deps: what it reads), built and checked in one step."""

    @multi_asset(
        specs=[
            AssetSpec(
                [TRENDS, table.name],
                deps=[AssetKey(read.split(".")) for read in step.table_reads(table)],
                group_name=TRENDS,
                kinds=KINDS,
                description=f"trends.{table.name}: {table.description}",
            )
            for table in step.tables
        ],
        check_specs=[check_spec(table.name) for table in step.tables],
        name=f"{TRENDS}__{step.name}",
    )
    def _trend(context: AssetExecutionContext, warehouse: DuckDBResource) -> Iterator[MaterializeResult]:
        with warehouse_connection(warehouse) as con:
            result = run_step(con, step, step_code_version(context))
        for line in result.log:
            context.log.log(line.level, line.text)
        for table in result.tables:
            yield MaterializeResult(
                asset_key=AssetKey([TRENDS, table.table]),
                metadata={"rows": table.rows, "ok_rows": table.ok_rows, **table.metadata},
                check_results=[check_result(table)],
            )

    return _trend


TREND_ASSETS = [trend_asset(step) for step in all_steps()]
