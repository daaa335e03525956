-- feeds: the health of every feed ever polled.
-- columns: feed_id, url, state (ok, failing, retired: the server said 410 Gone),
--          polls, last_polled_at, last_success_at, failure_streak (failed polls since
--          the last success), last_error, moved_to (where a permanent redirect led:
--          update the feeds file), articles (discovered)
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
)
SELECT feed_id, url,
       CASE WHEN failure_streak > 0 AND last_status = 410 THEN 'retired'
            WHEN failure_streak > 0 THEN 'failing'
            ELSE 'ok' END AS state,
       polls, last_polled_at, last_success_at, failure_streak, last_error, moved_to, articles
FROM health;
