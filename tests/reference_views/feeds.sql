-- feeds: the health of every feed ever polled.
-- columns: feed_id, url, state (ok, failing, retired: the server said 410 Gone),
--          polls, last_polled_at, last_success_at, failure_streak (failed polls since
--          the last success), last_error, moved_to (where a permanent redirect led:
--          update the feeds file), articles (discovered), articles_7d (discovered in the
--          last 7 days), usual_7d (its usual 7 days: the 28 days before, scaled),
--          volume_low (far below its own norm: under a quarter of usual, when usual is
--          at least 7 articles a week)
CREATE OR REPLACE VIEW feeds AS
WITH ranked AS (
    SELECT *, max(CASE WHEN ok THEN poll_no END) OVER (PARTITION BY feed_id) AS last_ok_no
    FROM feed_polls
), health AS (
    SELECT feed_id,
           arg_max(url, poll_no) AS url,
           count(*) AS polls,
           max(polled_at) AS last_polled_at,
           max(polled_at) FILTER (WHERE ok) AS last_success_at,
           count(*) FILTER (WHERE NOT ok AND poll_no > coalesce(last_ok_no, 0)) AS failure_streak,
           arg_max(error_class || ': ' || detail, poll_no) FILTER (WHERE NOT ok) AS last_error,
           arg_max(http_status, poll_no) AS last_status,
           arg_max(moved_to, poll_no) FILTER (WHERE ok) AS moved_to,
           sum(new_entries) AS articles
    FROM ranked
    GROUP BY feed_id
), volume AS (
    SELECT feed_id,
           count(*) FILTER (WHERE occurred_at >= now() - INTERVAL 7 DAY) AS articles_7d,
           count(*) FILTER (WHERE occurred_at < now() - INTERVAL 7 DAY
                              AND occurred_at >= now() - INTERVAL 35 DAY) / 4.0 AS usual_7d
    FROM events
    WHERE type = 'ArticleDiscovered'
    GROUP BY feed_id
)
SELECT h.feed_id, h.url,
       CASE WHEN h.failure_streak > 0 AND h.last_status = 410 THEN 'retired'
            WHEN h.failure_streak > 0 THEN 'failing'
            ELSE 'ok' END AS state,
       h.polls, h.last_polled_at, h.last_success_at, h.failure_streak, h.last_error,
       h.moved_to, h.articles,
       coalesce(v.articles_7d, 0) AS articles_7d,
       coalesce(v.usual_7d, 0) AS usual_7d,
       coalesce(v.usual_7d >= 7 AND v.articles_7d < v.usual_7d / 4, false) AS volume_low
FROM health AS h
LEFT JOIN volume AS v USING (feed_id);
