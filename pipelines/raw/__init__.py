"""The raw layer: every source file landed unchanged, then loaded as text with provenance."""
