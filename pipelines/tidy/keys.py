"""The stable model key: how a model name from any file is normalised before joining."""

from __future__ import annotations

import polars as pl


def model_key_expr(column: str | pl.Expr) -> pl.Expr:
    """Lower-cased name with whitespace (trailing newlines included) collapsed to single spaces."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def clean_name_expr(column: str | pl.Expr) -> pl.Expr:
    """The published name without trailing spaces or newlines (case kept)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.str.replace_all(r"\s+", " ").str.strip_chars()


def model_key(name: str) -> str:
    """`model_key_expr` for one Python string."""
    return " ".join(name.split()).lower()
