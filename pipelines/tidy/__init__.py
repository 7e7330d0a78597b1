"""Polars transforms from `raw.*` text tables to tidy tables with explicit units."""
