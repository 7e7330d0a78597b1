"""Group raw: one asset per row of the source table, landing it (`pipelines.raw.landing.land_source`).

A new file replaces the last good copy only when every guard passes; otherwise the previous table stays, the pull is
recorded as rejected in `ops.source_versions`, and the asset's blocking checks fail with the values that broke them.
A file past its source's size limits is rejected the same way before it is read (check `size_within_limits`).
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import PathsResource, warehouse_connection
from pipelines.layers import RAW
from pipelines.raw.guards import RAW_GUARDS
from pipelines.raw.landing import LandingError, land_source
from pipelines.raw.sources import SOURCES, Source


def build_raw_asset(source: Source) -> AssetsDefinition:
    """The raw asset of one source; its data version is the sha256 of the file `raw.<source>` holds."""
    key = AssetKey(["raw", source.name])

    @asset(
        key=key,
        group_name=RAW,
        description=f"{source.description} Landed unchanged from {source.url}, loaded as text with provenance.",
        metadata={
            "url": MetadataValue.url(source.url),
            "publisher": source.publisher,
            "licence": source.licence,
            "citation": source.citation,
            "optional": source.optional,
        },
        kinds={"python", "duckdb"},
        check_specs=[
            AssetCheckSpec(name, asset=key, blocking=True, description=description)
            for name, description in RAW_GUARDS.items()
        ],
    )
    def _raw(context: AssetExecutionContext, paths: PathsResource, warehouse: DuckDBResource) -> MaterializeResult:
        try:
            landing = land_source(source, paths.settings, lambda: warehouse_connection(warehouse))
        except LandingError as exc:
            raise Failure(description=str(exc), metadata={"source": source.name, "url": source.url}) from exc
        fetch = landing.fetch
        for guard in landing.guards:
            if not guard.passed:
                context.log.error(f"guard '{guard.name}' failed for source {source.name}: {guard.message}")
        if fetch.outcome == "missing_optional":
            context.log.warning(f"{source.name}: optional source not available at {source.url}; skipped")
        else:
            context.log.info(
                f"{source.name}: {fetch.outcome}, sha256 {fetch.sha256}; raw table holds {landing.held_rows} rows"
            )
        return MaterializeResult(
            metadata={
                "outcome": fetch.outcome,
                "loaded": landing.loaded,
                "fetched_sha256": fetch.sha256 or "",
                "held_sha256": landing.held_sha256 or "",
                "rows": landing.held_rows if landing.held_rows is not None else -1,
                "bytes": fetch.bytes or 0,
                "attempts": len(fetch.attempts),
            },
            data_version=DataVersion(landing.held_sha256 or "missing"),
            check_results=[
                AssetCheckResult(
                    check_name=guard.name,
                    passed=guard.passed,
                    severity=AssetCheckSeverity.ERROR,
                    description=guard.message,
                    metadata={"source": source.name, **guard.metadata},
                )
                for guard in landing.guards
            ],
        )

    return _raw


RAW_ASSETS: list[AssetsDefinition] = [build_raw_asset(source) for source in SOURCES]
