"""Altair reports: each page a module, `page` the shared HTML shell (inlined-free, offline Vega bundle)."""
