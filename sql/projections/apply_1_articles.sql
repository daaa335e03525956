-- apply_1_articles: fold the new events (temp table new_events) into article_state.
-- Every "latest" value is the payload of the family's latest event (by seq), as the
-- log's own views read it; counts add up; new events always come after applied ones.

-- the articles these events are about, and what they were before (for the counts)
CREATE OR REPLACE TEMP TABLE touched AS
SELECT DISTINCT newsmon_key(article_id) AS key, article_id
FROM new_events WHERE article_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE touched_before AS
SELECT a.key, a.story_key, a.day, a.site, a.feed_id
FROM article_state AS a SEMI JOIN touched AS t ON a.key = t.key;

CREATE OR REPLACE TEMP TABLE d_article AS
SELECT newsmon_key(article_id) AS key, article_id,
       count(*) FILTER (WHERE type = 'ArticleDiscovered') AS n_discovered,
       min(seq) FILTER (WHERE type = 'ArticleDiscovered') AS discovered_seq,
       min(occurred_at) FILTER (WHERE type = 'ArticleDiscovered') AS discovered_at,
       arg_min(feed_id, seq) FILTER (WHERE type = 'ArticleDiscovered') AS feed_id,
       arg_min(payload, seq) FILTER (WHERE type = 'ArticleDiscovered') AS discovery,
       count(*) FILTER (WHERE type IN ('ArticleFetched', 'ArticleFetchFailed')) AS n_fetch,
       count(*) FILTER (WHERE type = 'ArticleFetchFailed') AS n_fetch_failed,
       coalesce(bool_or(type = 'ArticleFetched'), false) AS fetched,
       coalesce(bool_or(type = 'ArticleFetchFailed'
                        AND NOT coalesce((payload->>'retryable')::BOOLEAN, false)), false) AS fetch_final,
       arg_max(type, seq) FILTER (WHERE type IN ('ArticleFetched', 'ArticleFetchFailed')) AS fetch_type,
       arg_max(payload, seq) FILTER (WHERE type IN ('ArticleFetched', 'ArticleFetchFailed')) AS fetch,
       max(occurred_at) FILTER (WHERE type = 'ArticleFetched') AS fetched_at,
       count(*) FILTER (WHERE type IN ('ArticleExtracted', 'ArticleExtractionFailed')) AS n_extraction,
       arg_max(type, seq) FILTER (WHERE type IN ('ArticleExtracted', 'ArticleExtractionFailed')) AS extraction_type,
       arg_max(payload, seq) FILTER (WHERE type IN ('ArticleExtracted', 'ArticleExtractionFailed')) AS extraction,
       max(occurred_at) FILTER (WHERE type = 'ArticleExtracted') AS extracted_at,
       count(*) FILTER (WHERE type = 'StoryClustered') AS n_story,
       arg_max(payload->>'story_id', seq) FILTER (WHERE type = 'StoryClustered') AS story_id,
       list(DISTINCT payload->>'method' ORDER BY payload->>'method')
           FILTER (WHERE type = 'StoryClustered') AS story_methods
FROM new_events
WHERE article_id IS NOT NULL
  AND type IN ('ArticleDiscovered', 'ArticleFetched', 'ArticleFetchFailed', 'ArticleExtracted',
               'ArticleExtractionFailed', 'StoryClustered')
GROUP BY article_id;

-- articles seen before: discovery (once), fetches and stories
UPDATE article_state AS a SET
    discovered_seq = coalesce(a.discovered_seq, d.discovered_seq),
    discovered_at = coalesce(a.discovered_at, d.discovered_at),
    feed_id = CASE WHEN a.discovered_seq IS NULL THEN d.feed_id ELSE a.feed_id END,
    url = CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'url' ELSE a.url END,
    canonical_url = CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'canonical_url' ELSE a.canonical_url END,
    feed_title = CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'title' ELSE a.feed_title END,
    summary = CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'summary' ELSE a.summary END,
    feed_published = CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'published' ELSE a.feed_published END,
    poll_key = CASE WHEN a.discovered_seq IS NULL THEN newsmon_key(d.discovery->>'poll') ELSE a.poll_key END,
    fetch_events = a.fetch_events + d.n_fetch,
    fetch_failures = a.fetch_failures + d.n_fetch_failed,
    fetched = a.fetched OR d.fetched,
    fetch_final = a.fetch_final OR d.fetch_final,
    fetch_type = CASE WHEN d.n_fetch > 0 THEN d.fetch_type ELSE a.fetch_type END,
    fetch_error_class = CASE WHEN d.n_fetch > 0 THEN d.fetch->>'error_class' ELSE a.fetch_error_class END,
    fetch_detail = CASE WHEN d.n_fetch > 0 THEN d.fetch->>'detail' ELSE a.fetch_detail END,
    fetched_at = greatest(a.fetched_at, d.fetched_at),
    story_id = CASE WHEN d.n_story > 0 THEN d.story_id ELSE a.story_id END,
    story_methods = CASE WHEN d.n_story > 0
                         THEN list_sort(list_distinct(list_concat(a.story_methods, d.story_methods)))
                         ELSE a.story_methods END
FROM d_article AS d
WHERE a.key = d.key AND d.n_discovered + d.n_fetch + d.n_story > 0;

-- articles seen before: extraction (its own statement: only these rows' texts change)
UPDATE article_state AS a SET
    extraction_type = d.extraction_type,
    page_title = d.extraction->>'title',
    page_published = d.extraction->>'published',
    page_date_source = d.extraction->>'date_source',
    page_date_flag = d.extraction->>'date_flag',
    language = d.extraction->>'language',
    author = d.extraction->>'author',
    site = d.extraction->>'site',
    word_count = TRY_CAST(d.extraction->>'word_count' AS INTEGER),
    text = d.extraction->>'text',
    minhash = d.extraction->>'minhash',
    extraction_error_class = d.extraction->>'error_class',
    extraction_detail = d.extraction->>'detail',
    extracted_at = greatest(a.extracted_at, d.extracted_at)
FROM d_article AS d
WHERE a.key = d.key AND d.n_extraction > 0;

-- articles not seen before
INSERT INTO article_state (
    key, article_id, discovered_seq, discovered_at, feed_id, url, canonical_url, feed_title,
    summary, feed_published, poll_key, fetch_events, fetch_failures, fetched, fetch_final, fetch_type,
    fetch_error_class, fetch_detail, fetched_at, extraction_type, page_title, page_published,
    page_date_source, page_date_flag, language, author, site, word_count, text, minhash,
    extraction_error_class, extraction_detail, extracted_at, story_id, story_methods)
SELECT d.key, d.article_id, d.discovered_seq, d.discovered_at, d.feed_id, d.discovery->>'url',
       d.discovery->>'canonical_url', d.discovery->>'title', d.discovery->>'summary',
       d.discovery->>'published', newsmon_key(d.discovery->>'poll'), d.n_fetch, d.n_fetch_failed, d.fetched, d.fetch_final,
       d.fetch_type, d.fetch->>'error_class', d.fetch->>'detail', d.fetched_at,
       d.extraction_type, d.extraction->>'title', d.extraction->>'published',
       d.extraction->>'date_source', d.extraction->>'date_flag', d.extraction->>'language',
       d.extraction->>'author', d.extraction->>'site',
       TRY_CAST(d.extraction->>'word_count' AS INTEGER), d.extraction->>'text',
       d.extraction->>'minhash', d.extraction->>'error_class', d.extraction->>'detail',
       d.extracted_at, d.story_id, coalesce(d.story_methods, [])
FROM d_article AS d
WHERE NOT EXISTS (SELECT 1 FROM article_state AS a WHERE a.key = d.key);

-- what the views and counts read, worked out once per change
UPDATE article_state AS a SET
    title = coalesce(a.page_title, a.feed_title),
    published = TRY_CAST(coalesce(a.page_published, a.feed_published) AS TIMESTAMPTZ),
    date_source = CASE WHEN a.page_date_source IS NOT NULL THEN a.page_date_source
                       WHEN a.feed_published IS NOT NULL THEN 'feed' END,
    date_flag = CASE WHEN a.extraction_type = 'ArticleExtracted' THEN a.page_date_flag
                     -- not extracted: the feed's date, judged as extract/worker.date_flag does
                     WHEN a.feed_published IS NULL THEN 'missing'
                     WHEN TRY_CAST(a.feed_published AS TIMESTAMPTZ) IS NULL THEN 'unreadable'
                     WHEN CAST(a.feed_published AS TIMESTAMPTZ) > a.discovered_at + INTERVAL 1 DAY
                          THEN 'future'
                     WHEN CAST(a.feed_published AS TIMESTAMPTZ) < TIMESTAMPTZ '1990-01-01'
                          THEN 'implausible' END,
    -- the day trends count it on: its publication date, or the day it was discovered
    -- when that date is missing, in the future or before 1990 (EARLIEST_PLAUSIBLE)
    day = CAST(CASE WHEN TRY_CAST(coalesce(a.page_published, a.feed_published) AS TIMESTAMPTZ)
                            BETWEEN TIMESTAMPTZ '1990-01-01' AND a.discovered_at + INTERVAL 1 DAY
                    THEN TRY_CAST(coalesce(a.page_published, a.feed_published) AS TIMESTAMPTZ)
                    ELSE a.discovered_at END AS DATE),
    story_key = newsmon_key(coalesce(a.story_id, a.article_id)),
    extracted = coalesce(a.extraction_type = 'ArticleExtracted', false)
FROM touched AS t
WHERE a.key = t.key;
