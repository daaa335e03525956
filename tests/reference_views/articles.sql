-- articles: the current state of every discovered article.
-- columns: article_id, feed_id, url, canonical_url, title, summary, published (from the
--          feed, the page, or a guess: see date_source), date_source, date_flag (missing,
--          unreadable, future, implausible (before 1990): the date is kept as given,
--          but not to be trusted), language, author,
--          site, word_count, text, state (discovered, fetched, fetch_failed, extracted,
--          extraction_failed), error_class, error_detail, fetch_attempts,
--          discovered_at, fetched_at, extracted_at,
--          story_id (the story it belongs to: copies of one wire story share it; its own id
--          until clustered), day (the day trends count it on: its publication date, or the
--          day it was discovered when that date is missing or in the future)
CREATE OR REPLACE VIEW articles AS
WITH fetches AS (
    SELECT article_id,
           arg_max(type, seq) AS type,
           arg_max(payload, seq) AS payload,
           count(*) AS attempts,
           max(occurred_at) FILTER (WHERE type = 'ArticleFetched') AS fetched_at
    FROM events
    WHERE type IN ('ArticleFetched', 'ArticleFetchFailed')
    GROUP BY article_id
), extractions AS (
    SELECT article_id,
           arg_max(type, seq) AS type,
           arg_max(payload, seq) AS payload,
           max(occurred_at) FILTER (WHERE type = 'ArticleExtracted') AS extracted_at
    FROM events
    WHERE type IN ('ArticleExtracted', 'ArticleExtractionFailed')
    GROUP BY article_id
), stories AS (
    SELECT article_id, arg_max(payload->>'story_id', seq) AS story_id
    FROM events
    WHERE type = 'StoryClustered'
    GROUP BY article_id
), base AS (
SELECT d.article_id,
       d.feed_id,
       d.payload->>'url' AS url,
       d.payload->>'canonical_url' AS canonical_url,
       coalesce(x.payload->>'title', d.payload->>'title') AS title,
       d.payload->>'summary' AS summary,
       TRY_CAST(coalesce(x.payload->>'published', d.payload->>'published') AS TIMESTAMPTZ) AS published,
       CASE WHEN (x.payload->>'date_source') IS NOT NULL THEN x.payload->>'date_source'
            WHEN (d.payload->>'published') IS NOT NULL THEN 'feed' END AS date_source,
       CASE WHEN x.type = 'ArticleExtracted' THEN x.payload->>'date_flag'
            -- not extracted: the feed's date, judged as analyse.date_flag judges it
            WHEN (d.payload->>'published') IS NULL THEN 'missing'
            WHEN TRY_CAST(d.payload->>'published' AS TIMESTAMPTZ) IS NULL THEN 'unreadable'
            WHEN CAST(d.payload->>'published' AS TIMESTAMPTZ) > d.occurred_at + INTERVAL 1 DAY
                 THEN 'future'
            WHEN CAST(d.payload->>'published' AS TIMESTAMPTZ) < TIMESTAMPTZ '1990-01-01'
                 THEN 'implausible' END AS date_flag,
       x.payload->>'language' AS language,
       x.payload->>'author' AS author,
       x.payload->>'site' AS site,
       (x.payload->>'word_count')::INTEGER AS word_count,
       x.payload->>'text' AS text,
       CASE WHEN x.type = 'ArticleExtracted' THEN 'extracted'
            WHEN x.type = 'ArticleExtractionFailed' THEN 'extraction_failed'
            WHEN f.type = 'ArticleFetchFailed' THEN 'fetch_failed'
            WHEN f.type = 'ArticleFetched' THEN 'fetched'
            ELSE 'discovered' END AS state,
       coalesce(x.payload->>'error_class', f.payload->>'error_class') AS error_class,
       coalesce(x.payload->>'detail', f.payload->>'detail') AS error_detail,
       coalesce(f.attempts, 0) AS fetch_attempts,
       d.occurred_at AS discovered_at,
       f.fetched_at,
       x.extracted_at,
       coalesce(s.story_id, d.article_id) AS story_id
FROM events AS d
LEFT JOIN fetches AS f USING (article_id)
LEFT JOIN extractions AS x USING (article_id)
LEFT JOIN stories AS s USING (article_id)
WHERE d.type = 'ArticleDiscovered'
)
SELECT *,
       CAST(CASE WHEN published IS NOT NULL AND published <= discovered_at + INTERVAL 1 DAY
                      AND published >= TIMESTAMPTZ '1990-01-01'  -- analyse.EARLIEST_PLAUSIBLE
                 THEN published ELSE discovered_at END AS DATE) AS day
FROM base;
