-- apply_1_articles: fold the new events (temp table new_events) into article_state.
-- Every "latest" value is the payload of the family's latest event (by seq), as the
-- log's own views read it; counts add up; new events always come after applied ones.
-- DuckDB reads every column a statement names for every row it scans: so the rows of
-- the articles touched are first found by their key alone (`article_rows`), and every
-- statement then reads only from the first of them on (`rowid >=`, or none when there
-- is none: the largest rowid). The articles a commit touches are recent, their rows near
-- the end: two hundred of two million rows cost 9 ms to read, not 170.

CREATE OR REPLACE TEMP TABLE touched AS
SELECT DISTINCT newsmon_key(article_id) AS key, article_id
FROM new_events WHERE article_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE article_rows AS
SELECT a.rowid AS row FROM article_state AS a WHERE a.key.hi IN (SELECT key.hi FROM touched);

-- what the touched articles were: the narrow columns the merge and the counts need
CREATE OR REPLACE TEMP TABLE before AS
SELECT a.key, a.discovered_seq, a.discovered_at, a.feed_id, a.url, a.feed_title, a.feed_published,
       a.fetch_events, a.fetch_failures, a.fetched, a.fetch_final, a.fetch_type,
       a.fetch_error_class, a.fetch_detail, a.fetched_at, a.extraction_type, a.page_title,
       a.page_published, a.page_date_source, a.page_date_flag, a.language, a.site, a.extracted_at,
       a.story_id, a.story_methods, a.story_key, a.day
FROM article_state AS a SEMI JOIN touched AS t ON a.key = t.key
WHERE a.rowid >= coalesce((SELECT min(row) FROM article_rows), 9223372036854775807);

CREATE OR REPLACE TEMP TABLE d_article AS
SELECT newsmon_key(article_id) AS key,
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

-- what the touched articles are now (narrow columns, and the derived ones)
CREATE OR REPLACE TEMP TABLE after AS
WITH merged AS (
    SELECT t.key, t.article_id, a.key IS NOT NULL AS known,
           coalesce(d.n_discovered, 0) > 0 AND a.discovered_seq IS NULL AS discovered_now,
           coalesce(d.n_extraction, 0) > 0 AS extracted_now,
           coalesce(a.discovered_seq, d.discovered_seq) AS discovered_seq,
           coalesce(a.discovered_at, d.discovered_at) AS discovered_at,
           CASE WHEN a.discovered_seq IS NULL THEN d.feed_id ELSE a.feed_id END AS feed_id,
           CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'url' ELSE a.url END AS url,
           CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'title' ELSE a.feed_title END AS feed_title,
           CASE WHEN a.discovered_seq IS NULL THEN d.discovery->>'published' ELSE a.feed_published END AS feed_published,
           coalesce(a.fetch_events, 0) + coalesce(d.n_fetch, 0) AS fetch_events,
           coalesce(a.fetch_failures, 0) + coalesce(d.n_fetch_failed, 0) AS fetch_failures,
           coalesce(a.fetched, false) OR coalesce(d.fetched, false) AS fetched,
           coalesce(a.fetch_final, false) OR coalesce(d.fetch_final, false) AS fetch_final,
           CASE WHEN d.n_fetch > 0 THEN d.fetch_type ELSE a.fetch_type END AS fetch_type,
           CASE WHEN d.n_fetch > 0 THEN d.fetch->>'error_class' ELSE a.fetch_error_class END AS fetch_error_class,
           CASE WHEN d.n_fetch > 0 THEN d.fetch->>'detail' ELSE a.fetch_detail END AS fetch_detail,
           greatest(a.fetched_at, d.fetched_at) AS fetched_at,
           CASE WHEN d.n_extraction > 0 THEN d.extraction_type ELSE a.extraction_type END AS extraction_type,
           CASE WHEN d.n_extraction > 0 THEN d.extraction->>'title' ELSE a.page_title END AS page_title,
           CASE WHEN d.n_extraction > 0 THEN d.extraction->>'published' ELSE a.page_published END AS page_published,
           CASE WHEN d.n_extraction > 0 THEN d.extraction->>'date_source' ELSE a.page_date_source END AS page_date_source,
           CASE WHEN d.n_extraction > 0 THEN d.extraction->>'date_flag' ELSE a.page_date_flag END AS page_date_flag,
           CASE WHEN d.n_extraction > 0 THEN d.extraction->>'language' ELSE a.language END AS language,
           CASE WHEN d.n_extraction > 0 THEN d.extraction->>'site' ELSE a.site END AS site,
           greatest(a.extracted_at, d.extracted_at) AS extracted_at,
           CASE WHEN d.n_story > 0 THEN d.story_id ELSE a.story_id END AS story_id,
           CASE WHEN d.n_story > 0 THEN list_sort(list_distinct(list_concat(a.story_methods, d.story_methods)))
                ELSE coalesce(a.story_methods, []) END AS story_methods,
           d.discovery, d.extraction
    FROM touched AS t
    LEFT JOIN before AS a USING (key)
    LEFT JOIN d_article AS d USING (key)
), dated AS (
    SELECT *, TRY_CAST(coalesce(page_published, feed_published) AS TIMESTAMPTZ) AS published
    FROM merged
)
SELECT *,
       coalesce(page_title, feed_title) AS title,
       CASE WHEN page_date_source IS NOT NULL THEN page_date_source
            WHEN feed_published IS NOT NULL THEN 'feed' END AS date_source,
       CASE WHEN extraction_type = 'ArticleExtracted' THEN page_date_flag
            -- not extracted: the feed's date, judged as extract/worker.date_flag does
            WHEN feed_published IS NULL THEN 'missing'
            WHEN TRY_CAST(feed_published AS TIMESTAMPTZ) IS NULL THEN 'unreadable'
            WHEN CAST(feed_published AS TIMESTAMPTZ) > discovered_at + INTERVAL 1 DAY THEN 'future'
            WHEN CAST(feed_published AS TIMESTAMPTZ) < TIMESTAMPTZ '1990-01-01' THEN 'implausible'
       END AS date_flag,
       -- the day trends count it on: its publication date, or the day it was discovered
       -- when that date is missing, in the future or before 1990 (EARLIEST_PLAUSIBLE)
       CAST(CASE WHEN published BETWEEN TIMESTAMPTZ '1990-01-01' AND discovered_at + INTERVAL 1 DAY
                 THEN published ELSE discovered_at END AS DATE) AS day,
       newsmon_key(coalesce(story_id, article_id)) AS story_key,
       coalesce(extraction_type = 'ArticleExtracted', false) AS extracted
FROM dated;

-- An article discovered or extracted by these events is written again whole, at the end
-- of the table (a delete and an insert): an update of its text would make DuckDB write
-- the text column of its whole row group again at the next checkpoint. Fetches and
-- stories only update their few columns.
CREATE OR REPLACE TEMP TABLE rewritten AS
SELECT key FROM after WHERE NOT known OR discovered_now OR extracted_now;

-- the wide columns a rewritten article keeps (it was known, and only one of its
-- discovery and its extraction is new)
CREATE OR REPLACE TEMP TABLE kept AS
SELECT a.key, a.url, a.canonical_url, a.summary, a.poll_key, a.author, a.word_count, a.text,
       a.minhash, a.extraction_error_class, a.extraction_detail
FROM article_state AS a
WHERE a.key IN (SELECT key FROM after WHERE known AND (discovered_now OR extracted_now)
                                       AND NOT (discovered_now AND extracted_now))
  AND a.rowid >= coalesce((SELECT min(row) FROM article_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM after WHERE known AND (discovered_now OR extracted_now))
DELETE FROM article_state
WHERE key IN (SELECT key FROM after WHERE known AND (discovered_now OR extracted_now))
  AND rowid >= coalesce((SELECT min(row) FROM article_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM rewritten)
INSERT INTO article_state
SELECT n.key, n.article_id, n.discovered_seq, n.discovered_at, n.feed_id, n.url,
       CASE WHEN n.discovered_now OR k.key IS NULL THEN n.discovery->>'canonical_url' ELSE k.canonical_url END,
       n.feed_title,
       CASE WHEN n.discovered_now OR k.key IS NULL THEN n.discovery->>'summary' ELSE k.summary END,
       n.feed_published,
       CASE WHEN n.discovered_now OR k.key IS NULL THEN newsmon_key(n.discovery->>'poll') ELSE k.poll_key END,
       n.fetch_events, n.fetch_failures, n.fetched, n.fetch_final, n.fetch_type,
       n.fetch_error_class, n.fetch_detail, n.fetched_at, n.extraction_type, n.page_title,
       n.page_published, n.page_date_source, n.page_date_flag, n.language,
       CASE WHEN n.extracted_now OR k.key IS NULL THEN n.extraction->>'author' ELSE k.author END,
       n.site,
       CASE WHEN n.extracted_now OR k.key IS NULL THEN TRY_CAST(n.extraction->>'word_count' AS INTEGER) ELSE k.word_count END,
       CASE WHEN n.extracted_now OR k.key IS NULL THEN n.extraction->>'text' ELSE k.text END,
       CASE WHEN n.extracted_now OR k.key IS NULL THEN n.extraction->>'minhash' ELSE k.minhash END,
       CASE WHEN n.extracted_now OR k.key IS NULL THEN n.extraction->>'error_class' ELSE k.extraction_error_class END,
       CASE WHEN n.extracted_now OR k.key IS NULL THEN n.extraction->>'detail' ELSE k.extraction_detail END,
       n.extracted_at, n.story_id, n.story_methods, n.title, n.published, n.date_source,
       n.date_flag, n.day, n.story_key, n.extracted
FROM after AS n
LEFT JOIN kept AS k USING (key)
WHERE n.key IN (SELECT key FROM rewritten);

-- the articles not rewritten: their fetches and their stories
-- when: EXISTS (SELECT 1 FROM d_article WHERE n_fetch > 0 AND key NOT IN (SELECT key FROM rewritten))
UPDATE article_state AS a SET
    fetch_events = n.fetch_events, fetch_failures = n.fetch_failures, fetched = n.fetched,
    fetch_final = n.fetch_final, fetch_type = n.fetch_type,
    fetch_error_class = n.fetch_error_class, fetch_detail = n.fetch_detail,
    fetched_at = n.fetched_at
FROM after AS n JOIN d_article AS d USING (key)
WHERE a.key = n.key AND d.n_fetch > 0 AND n.key NOT IN (SELECT key FROM rewritten)
  AND a.rowid >= coalesce((SELECT min(row) FROM article_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM d_article WHERE n_story > 0 AND key NOT IN (SELECT key FROM rewritten))
UPDATE article_state AS a SET
    story_id = n.story_id, story_methods = n.story_methods, story_key = n.story_key
FROM after AS n JOIN d_article AS d USING (key)
WHERE a.key = n.key AND d.n_story > 0 AND n.key NOT IN (SELECT key FROM rewritten)
  AND a.rowid >= coalesce((SELECT min(row) FROM article_rows), 9223372036854775807);
