-- plan_articles: articles to fetch: discovered, not fetched yet, no final failure, and
-- fewer than $max_attempts failed attempts; oldest discovery first.
-- parameters: $max_attempts
-- columns: article_id, feed_id, url, title, published, attempt (the number to use next)
WITH attempts AS (
    SELECT article_id,
           count(*) FILTER (WHERE type = 'ArticleFetchFailed') AS failures,
           bool_or(type = 'ArticleFetched') AS fetched,
           bool_or(type = 'ArticleFetchFailed'
                   AND NOT coalesce((payload->>'retryable')::BOOLEAN, false)) AS final
    FROM events
    WHERE type IN ('ArticleFetched', 'ArticleFetchFailed')
    GROUP BY article_id
)
SELECT d.article_id, d.feed_id, d.payload->>'url' AS url, d.payload->>'title' AS title,
       d.payload->>'published' AS published, coalesce(a.failures, 0) + 1 AS attempt
FROM events AS d
LEFT JOIN attempts AS a USING (article_id)
WHERE d.type = 'ArticleDiscovered'
  AND NOT coalesce(a.fetched, false)
  AND NOT coalesce(a.final, false)
  AND coalesce(a.failures, 0) < $max_attempts
ORDER BY d.seq;
