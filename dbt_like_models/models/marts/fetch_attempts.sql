{{ config(materialized="view") }}
-- Every download attempt, retries and metadata requests included: the URL asked, HTTP status, outcome, bytes,
-- sha256, validators. `source_pulls` has one row per pull; this view is the fetch log as written.
select
    source, url, requested_url, attempt, status as http_status, outcome, error, bytes, sha256, etag, last_modified,
    content_type, fetched_at
from {{ source('ops', 'fetch_log') }}
order by fetched_at, attempt
