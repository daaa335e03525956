-- The read models: tables derived from the log, kept current by the committer in the
-- transaction of each append (sql/projections/apply_*.sql, in order), and rebuilt from
-- the log whenever their definition changes. Nothing here is a fact: drop every table
-- and `newsmon rebuild` (or the next write) makes them again.
--
-- Keys: `key` columns are newsmon_key() of an id, its 128-bit MD5 as a struct of two
-- integers (a macro every connection defines: DuckLake keeps no 128-bit integer intact),
-- because joining 200 new events with two million rows on it reads a third of what
-- joining on the id strings reads.

-- newsmon_projections: the definitions' version, and the last seq applied.
CREATE TABLE IF NOT EXISTS newsmon_projections (version VARCHAR, applied_seq BIGINT);

-- article_state: one row per article, as its events left it.
CREATE TABLE IF NOT EXISTS article_state (
    key STRUCT(hi UBIGINT, lo UBIGINT), article_id VARCHAR,
    -- ArticleDiscovered
    discovered_seq BIGINT, discovered_at TIMESTAMPTZ, feed_id VARCHAR, url VARCHAR,
    canonical_url VARCHAR, feed_title VARCHAR, summary VARCHAR, feed_published VARCHAR,
    poll_key STRUCT(hi UBIGINT, lo UBIGINT),  -- the poll that found it
    -- ArticleFetched / ArticleFetchFailed
    fetch_events INTEGER, fetch_failures INTEGER, fetched BOOLEAN, fetch_final BOOLEAN,
    fetch_type VARCHAR, fetch_error_class VARCHAR, fetch_detail VARCHAR, fetched_at TIMESTAMPTZ,
    -- ArticleExtracted / ArticleExtractionFailed (the latest)
    extraction_type VARCHAR, page_title VARCHAR, page_published VARCHAR, page_date_source VARCHAR,
    page_date_flag VARCHAR, language VARCHAR, author VARCHAR, site VARCHAR, word_count INTEGER,
    text VARCHAR, minhash VARCHAR, extraction_error_class VARCHAR, extraction_detail VARCHAR,
    extracted_at TIMESTAMPTZ,
    -- StoryClustered
    story_id VARCHAR, story_methods VARCHAR[],
    -- derived from the above, for the views and the counts
    title VARCHAR, published TIMESTAMPTZ, date_source VARCHAR, date_flag VARCHAR, day DATE,
    story_key STRUCT(hi UBIGINT, lo UBIGINT), extracted BOOLEAN
);

-- mention_state: one row per article and topic, as the latest tagging decided, with
-- the first match made at ingestion (mentions_as_tagged) and the article's fields.
CREATE TABLE IF NOT EXISTS mention_state (
    key STRUCT(hi UBIGINT, lo UBIGINT), article_key STRUCT(hi UBIGINT, lo UBIGINT), article_id VARCHAR, topic VARCHAR,
    decision VARCHAR, ruleset_version VARCHAR, score DOUBLE, snippet VARCHAR, terms JSON,
    rule VARCHAR, retag BOOLEAN, tagged_at TIMESTAMPTZ, match_event_id VARCHAR,
    found_by_retag BOOLEAN,
    first_ruleset_version VARCHAR, first_score DOUBLE, first_snippet VARCHAR,
    first_tagged_at TIMESTAMPTZ, first_match_event_id VARCHAR,
    -- the article's, refreshed whenever it changes
    title VARCHAR, url VARCHAR, feed_id VARCHAR, published TIMESTAMPTZ, date_source VARCHAR,
    language VARCHAR, site VARCHAR, discovered_at TIMESTAMPTZ, story_id VARCHAR,
    story_key STRUCT(hi UBIGINT, lo UBIGINT), day DATE
);

-- match_log: every TopicMatched, with its article's fields and its story's outlets.
CREATE TABLE IF NOT EXISTS match_log (
    event_key STRUCT(hi UBIGINT, lo UBIGINT), match_event_id VARCHAR, article_key STRUCT(hi UBIGINT, lo UBIGINT), article_id VARCHAR, topic VARCHAR,
    ruleset_version VARCHAR, score DOUBLE, snippet VARCHAR, terms VARCHAR, rule VARCHAR,
    retag BOOLEAN, tagged_at TIMESTAMPTZ,
    title VARCHAR, url VARCHAR, site VARCHAR, feed_id VARCHAR, published TIMESTAMPTZ,
    date_source VARCHAR, language VARCHAR, discovered_at TIMESTAMPTZ, story_id VARCHAR,
    story_key STRUCT(hi UBIGINT, lo UBIGINT), story_outlets VARCHAR[]
);

-- story_state: one row per story (an article and its copies), extracted articles only.
CREATE TABLE IF NOT EXISTS story_state (
    story_key STRUCT(hi UBIGINT, lo UBIGINT), story_id VARCHAR, title VARCHAR, url VARCHAR, first_article_key STRUCT(hi UBIGINT, lo UBIGINT),
    articles BIGINT, outlets VARCHAR[],
    first_day DATE, first_discovered_at TIMESTAMPTZ, topics VARCHAR[]
);

-- poll_log: one row per poll of a feed, and the articles it found first.
CREATE TABLE IF NOT EXISTS poll_log (
    event_key STRUCT(hi UBIGINT, lo UBIGINT), event_id VARCHAR, seq BIGINT, feed_id VARCHAR, poll_no INTEGER,
    polled_at TIMESTAMPTZ, ok BOOLEAN, http_status INTEGER, not_modified BOOLEAN,
    entries INTEGER, new_entries BIGINT, error_class VARCHAR, detail VARCHAR,
    elapsed_ms INTEGER, url VARCHAR, feed_url VARCHAR, final_url VARCHAR, moved_to VARCHAR,
    etag VARCHAR, last_modified VARCHAR, content_sha256 VARCHAR, retry_after VARCHAR,
    run_id VARCHAR,
    hint_s INTEGER  -- how long the server said its answer stays fresh (max-age, RSS ttl)
);

-- feed_state: one row per feed ever polled: its health, and what the next poll needs.
CREATE TABLE IF NOT EXISTS feed_state (
    feed_id VARCHAR, url VARCHAR, polls BIGINT, last_polled_at TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ, failure_streak BIGINT, last_error VARCHAR, last_status INTEGER,
    moved_to VARCHAR, articles BIGINT,
    -- for planning the next poll (as of the latest successful poll, by seq)
    last_poll_no INTEGER, ok_url VARCHAR, ok_feed_url VARCHAR, ok_final_url VARCHAR,
    ok_etag VARCHAR, ok_last_modified VARCHAR, ok_content_sha256 VARCHAR, ok_moved_to VARCHAR,
    last_at TIMESTAMPTZ, last_ok BOOLEAN, last_poll_status INTEGER, last_retry_after VARCHAR,
    failures_since_ok BIGINT
);

-- feed_daily: articles each feed brought, per day they were discovered.
CREATE TABLE IF NOT EXISTS feed_daily (feed_id VARCHAR, day DATE, articles BIGINT);

-- feed_lease: each feed's latest WebSub subscription a hub confirmed, and until when.
CREATE TABLE IF NOT EXISTS feed_lease (
    feed_id VARCHAR, hub VARCHAR, topic VARCHAR, lease_until TIMESTAMPTZ, subscribed_at TIMESTAMPTZ
);

-- feed_source: what the feeds file said about each feed's outlet, as last recorded.
CREATE TABLE IF NOT EXISTS feed_source (
    feed_id VARCHAR, event_id VARCHAR, seq BIGINT, configured_at TIMESTAMPTZ, name VARCHAR,
    country VARCHAR, language VARCHAR, kind VARCHAR
);

-- alert_items: what each decided alert is about, item by item.
CREATE TABLE IF NOT EXISTS alert_items (
    alert_id VARCHAR, recipient VARCHAR, mode VARCHAR, article_id VARCHAR, topic VARCHAR,
    match_event_id VARCHAR, decided_at TIMESTAMPTZ,
    change_event_id VARCHAR  -- an item telling of a revision or removal: its event
);

-- alert_state: one row per alert, as its events left it.
CREATE TABLE IF NOT EXISTS alert_state (
    key STRUCT(hi UBIGINT, lo UBIGINT), alert_id VARCHAR, recipient VARCHAR, mode VARCHAR, decided_at TIMESTAMPTZ,
    decided BOOLEAN, claims BIGINT, failures BIGINT, last_type VARCHAR,
    last_claim_until TIMESTAMPTZ, end_type VARCHAR, message_id VARCHAR, error VARCHAR,
    ended_at TIMESTAMPTZ  -- when it was sent, or failed for good
);

-- run_log: one row per run, what it recorded.
CREATE TABLE IF NOT EXISTS run_log (
    run_id VARCHAR, started TIMESTAMPTZ, finished TIMESTAMPTZ, last_seq BIGINT, events BIGINT,
    articles BIGINT, matches BIGINT, alerts_sent BIGINT, errors BIGINT
);

-- Counts per day, in all and per topic, and per topic and week, kept for the days and
-- weeks each commit touched (the daily and weekly trends, their rolling means and spikes
-- read them; a week's stories are not the sum of its days': a story runs several days).
-- Counts per outlet and pair of topics are worked out from mention_state when asked
-- for: a tenth of a scan.
CREATE TABLE IF NOT EXISTS day_ingested (day DATE, articles BIGINT, stories BIGINT);
CREATE TABLE IF NOT EXISTS topic_day (
    day DATE, topic VARCHAR, articles BIGINT, stories BIGINT, articles_as_tagged BIGINT
);
CREATE TABLE IF NOT EXISTS topic_week (week DATE, topic VARCHAR, articles BIGINT, stories BIGINT);

-- article_pages: every page of an article that was read: its first fetch, and each time
-- it was checked again (ArticleRechecked, ArticleRevised, ArticleRemoved), with where
-- the archive keeps the page and, for a revision, the text as it then read.
CREATE TABLE IF NOT EXISTS article_pages (
    event_id VARCHAR, seq BIGINT, article_key STRUCT(hi UBIGINT, lo UBIGINT), article_id VARCHAR,
    type VARCHAR, check_no INTEGER, read_at TIMESTAMPTZ, status INTEGER, url VARCHAR,
    final_url VARCHAR, etag VARCHAR, last_modified VARCHAR, content_sha256 VARCHAR,
    warc_file VARCHAR, warc_offset BIGINT, warc_record_id VARCHAR,
    outcome VARCHAR,      -- of a recheck: unchanged, not_modified, failed
    final BOOLEAN,        -- of a failed recheck: tried for the last time at that stage
    error_class VARCHAR, detail VARCHAR,
    reason VARCHAR,       -- of a removal: gone (404, 410) or redirected (to a home or section page)
    title_before VARCHAR, title VARCHAR, text VARCHAR, diff VARCHAR  -- of a revision
);

-- event_keys: the first 64 bits of each event id's MD5, with its seq. An append checks
-- the ids it brings against these (8 bytes an event to read, not 32, and no strings to
-- hash) and confirms the few that agree against the log by seq: the ids of 9.3 million
-- events took 330 ms to read, these 90.
CREATE TABLE IF NOT EXISTS event_keys (hi UBIGINT, seq BIGINT);
