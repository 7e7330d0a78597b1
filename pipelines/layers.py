"""The five layers, in the order data flows through them. Each name is at once a folder under `pipelines/` (dbt's
`dbt_like_models/` for marts), a Dagster group, the first part of its assets' keys, and a DuckDB schema."""

RAW, TIDY, MARTS, TRENDS, REPORTS = LAYERS = ("raw", "tidy", "marts", "trends", "reports")
OPS = "ops"  # the schema of run bookkeeping (pulls, file versions, rejections, published runs): no layer of its own
