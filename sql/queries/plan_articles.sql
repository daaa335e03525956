-- plan_articles: articles to fetch: discovered, not fetched yet, no final failure, and
-- fewer than $max_attempts failed attempts; oldest discovery first.
-- parameters: $max_attempts
-- columns: article_id, feed_id, url, title, published, attempt (the number to use next)
SELECT article_id, feed_id, url, feed_title AS title, feed_published AS published,
       fetch_failures + 1 AS attempt
FROM article_state
WHERE discovered_seq IS NOT NULL AND NOT fetched AND NOT fetch_final
  AND fetch_failures < $max_attempts
ORDER BY discovered_seq;
