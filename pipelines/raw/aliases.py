"""Column renames across source releases: one table mapping every published spelling to one canonical name."""

from __future__ import annotations

# canonical name -> spellings seen in past or present releases (the canonical one first).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "Model": ("Model", "System"),
    "Training dataset size (total)": (
        "Training dataset size (total)",
        "Training dataset size (gradients)",
        "Training dataset size (datapoints)",
        "(DEPRECATED) Training dataset size (datapoints)",
    ),
    "Country (of organization)": ("Country (of organization)", "Country (from Organization)"),
}

_CANONICAL = {spelling: canonical for canonical, spellings in COLUMN_ALIASES.items() for spelling in spellings}
if len(_CANONICAL) != sum(len(s) for s in COLUMN_ALIASES.values()):
    raise ValueError("COLUMN_ALIASES lists one spelling under two canonical names")


def canonical_column(name: str) -> str:
    """The canonical name of a published column (itself when it has no alias)."""
    return _CANONICAL.get(name.strip(), name.strip())


def canonical_columns(columns: list[str]) -> dict[str, str]:
    """Rename map for a frame's columns; the first spelling present wins when a file carries two."""
    renames: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        canonical = canonical_column(column)
        if canonical in taken:
            continue
        taken.add(canonical)
        renames[column] = canonical
    return renames


def missing_columns(columns: list[str], required: tuple[str, ...]) -> list[str]:
    """Required canonical columns that no spelling in `columns` provides."""
    present = {canonical_column(c) for c in columns}
    return [c for c in required if c not in present]
