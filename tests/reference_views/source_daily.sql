-- source_daily, replayed from the log: discoveries per day and feed, by the feed's
-- latest FeedConfigured.
CREATE OR REPLACE VIEW source_daily AS
WITH s AS (
    SELECT feed_id, payload->>'country' AS country, payload->>'kind' AS kind
    FROM events WHERE type = 'FeedConfigured'
    QUALIFY row_number() OVER (PARTITION BY feed_id ORDER BY seq DESC) = 1
), d AS (
    SELECT feed_id, CAST(occurred_at AS DATE) AS day, count(*) AS articles
    FROM events WHERE type = 'ArticleDiscovered' AND feed_id IS NOT NULL GROUP BY ALL
)
SELECT d.day, coalesce(s.country, 'unknown') AS country, coalesce(s.kind, 'unknown') AS kind,
       count(DISTINCT d.feed_id) AS feeds, sum(d.articles) AS articles
FROM d
LEFT JOIN s USING (feed_id)
GROUP BY ALL;
