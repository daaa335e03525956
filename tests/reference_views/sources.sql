-- sources, replayed from the log: the latest FeedConfigured of each feed.
CREATE OR REPLACE VIEW sources AS
WITH s AS (
    SELECT feed_id, occurred_at AS configured_at, payload->>'name' AS name,
           payload->>'country' AS country, payload->>'language' AS language, payload->>'kind' AS kind
    FROM events WHERE type = 'FeedConfigured'
    QUALIFY row_number() OVER (PARTITION BY feed_id ORDER BY seq DESC) = 1
)
SELECT s.feed_id, s.name, s.country, s.language, s.kind, s.configured_at,
       coalesce(f.state, 'not polled') AS state, f.last_success_at,
       coalesce(f.articles_7d, 0) AS articles_7d, coalesce(f.usual_7d, 0) AS usual_7d
FROM s
LEFT JOIN feeds AS f USING (feed_id);
