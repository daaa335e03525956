-- feeds: the health of every feed ever polled.
-- columns: feed_id, url, state (ok, failing, retired: the server said 410 Gone),
--          polls, last_polled_at, last_success_at, failure_streak (failed polls since
--          the last success), last_error, moved_to (where a permanent redirect led:
--          update the feeds file), articles (discovered), articles_7d (discovered in the
--          last 7 days), usual_7d (its usual 7 days: the 28 days before, scaled),
--          volume_low (far below its own norm: under a quarter of usual, when usual is
--          at least 7 articles a week)
CREATE OR REPLACE VIEW feeds AS
WITH volume AS (
    SELECT feed_id,
           sum(articles) FILTER (WHERE day >= CAST(now() - INTERVAL 7 DAY AS DATE)) AS articles_7d,
           sum(articles) FILTER (WHERE day < CAST(now() - INTERVAL 7 DAY AS DATE)
                                   AND day >= CAST(now() - INTERVAL 35 DAY AS DATE)) / 4.0 AS usual_7d
    FROM feed_daily
    WHERE day >= CAST(now() - INTERVAL 35 DAY AS DATE)
    GROUP BY feed_id
)
SELECT f.feed_id, f.url,
       CASE WHEN f.failure_streak > 0 AND f.last_status = 410 THEN 'retired'
            WHEN f.failure_streak > 0 THEN 'failing'
            ELSE 'ok' END AS state,
       f.polls, f.last_polled_at, f.last_success_at, f.failure_streak, f.last_error,
       f.moved_to, f.articles,
       coalesce(v.articles_7d, 0) AS articles_7d,
       coalesce(v.usual_7d, 0) AS usual_7d,
       coalesce(v.usual_7d >= 7 AND v.articles_7d < v.usual_7d / 4, false) AS volume_low
FROM feed_state AS f
LEFT JOIN volume AS v USING (feed_id);
