"""The raw layer: every source file landed unchanged, then loaded as text with provenance.

Reads: the sources of `sources.SOURCES` over HTTP (or `SCALING_SOURCES_MIRROR`, `mirror.py`); the raw table it is
about to replace (the guards compare against it).
Writes: `data/raw/<source>/<sha256>.<ext>` and the journal `data/raw/_journal/` (the record `rebuild` replays);
`raw.<source>` (every column text, plus `_source`, `_sha256`, `_fetched_at`, `_row_number`); the side tables
`ops.fetch_log` (every attempt) and `ops.source_versions` (every new file, loaded or rejected).
Modules: `sources` (the source table), `aliases` (renamed columns), `mirror`, `fetch` (retries, conditional GET, size
limits), `guards` (what a new file must pass), `parse` (text to numbers and dates), `landing` (fetch, guard, load),
`journal`, `replay` (`rebuild`). No Dagster here: `pipelines/defs/raw.py` makes one asset per source.
"""
