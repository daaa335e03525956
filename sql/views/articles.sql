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
SELECT article_id, feed_id, url, canonical_url, title, summary, published, date_source,
       date_flag, language, author, site, word_count, text,
       CASE WHEN extraction_type = 'ArticleExtracted' THEN 'extracted'
            WHEN extraction_type = 'ArticleExtractionFailed' THEN 'extraction_failed'
            WHEN fetch_type = 'ArticleFetchFailed' THEN 'fetch_failed'
            WHEN fetch_type = 'ArticleFetched' THEN 'fetched'
            ELSE 'discovered' END AS state,
       coalesce(extraction_error_class, fetch_error_class) AS error_class,
       coalesce(extraction_detail, fetch_detail) AS error_detail,
       fetch_events AS fetch_attempts, discovered_at, fetched_at, extracted_at,
       coalesce(story_id, article_id) AS story_id, day
FROM article_state
WHERE discovered_seq IS NOT NULL;
