"""The stable model key: how a model name from any file is normalised before joining.

The one definition: tidy writes `model_key` beside every model name it reads (Epoch's model files, the benchmark
hub, the price study, OWID's entities), and every mart and query joins on that column; no SQL normalises a name.
"""

from __future__ import annotations

import polars as pl


def clean_name_expr(column: str | pl.Expr) -> pl.Expr:
    """The published name without trailing spaces or newlines (case kept)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.str.replace_all(r"\s+", " ").str.strip_chars()


def model_key_expr(column: str | pl.Expr) -> pl.Expr:
    """The cleaned name (`clean_name_expr`: whitespace, trailing newlines included, collapsed) lower-cased."""
    return clean_name_expr(column).str.to_lowercase()


def model_key(name: str) -> str:
    """`model_key_expr` for one Python string: the same expression, so the two never disagree."""
    return pl.select(model_key_expr(pl.lit(name, dtype=pl.String))).item()
