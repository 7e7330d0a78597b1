"""The five layers, in the order data flows through them. Each name is at once a folder under `pipelines/` (dbt's
`dbt_like_models/` for marts), a Dagster group, the first part of its assets' keys, and a DuckDB schema."""

RAW, TIDY, MARTS, TRENDS, REPORTS = LAYERS = ("raw", "tidy", "marts", "trends", "reports")
OPS = "ops"  # the schema of run bookkeeping (pulls, file versions, rejections, published runs): no layer of its own

# Tables written beside an asset's own table, with no asset of their own, by the assets that write them (`raw/*`:
# every raw asset; `tidy/*`: every tidy asset). A model reading one waits for its writers
# (`pipelines/defs/dbt_translator.py` maps dbt sources through this table). `ops.published_runs` is written at
# publication (`pipelines/run/publish.py`); `ops.fit_results` and `ops.reused`, read by no asset, by trends and pages.
SIDE_TABLES: dict[str, tuple[str, ...]] = {
    "ops.fetch_log": (f"{RAW}/*",),
    "ops.source_versions": (f"{RAW}/*",),
    "ops.rejected_values": (f"{TIDY}/*",),
    "ops.model_snapshots": (f"{TIDY}/models",),
    "tidy.unmatched_model_versions": (f"{TIDY}/scores",),
}
SCREENSHOTS = f"{REPORTS}/screenshots"  # the asset that shoots every page with Chromium
