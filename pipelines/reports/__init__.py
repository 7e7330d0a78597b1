"""The reports layer: the HTML pages in `reports/`, built with Altair and Jinja2.

Reads: the `marts.*` and `trends.*` tables each page declares in `registry.PAGES` (a page reading anything else
fails: `context.PageContext`); `marts.source_files` for every page's provenance; the published `reports/` (the
previous build, unchanged exports).
Writes: `reports/<page>.html`, `reports/<page>/<chart>.{csv,png,svg}`, `reports/screenshots/<page>.png`, staged in
`reports/.building/` and published with the warehouse.
`registry` declares every page, one module per page builds it from the shared `builders`, `page` renders it through
`templates/`, `exports` and `screenshots` make the static images. No Dagster here.
"""
