"""Altair reports: `registry` declares every page, one module per page builds it from shared `builders`, and
`page` renders it through the Jinja2 templates in `templates/` (offline Vega bundle, no network)."""
