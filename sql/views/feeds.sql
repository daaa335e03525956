-- feeds: the health of every feed ever polled.
-- columns: feed_id, url, polls, last_polled_at, last_success_at, failure_streak
--          (failed polls since the last success), last_error, articles (discovered)
CREATE OR REPLACE VIEW feeds AS
WITH ranked AS (
    SELECT *, max(CASE WHEN ok THEN poll_no END) OVER (PARTITION BY feed_id) AS last_ok_no
    FROM feed_polls
)
SELECT feed_id,
       arg_max(url, poll_no) AS url,
       count(*) AS polls,
       max(polled_at) AS last_polled_at,
       max(polled_at) FILTER (WHERE ok) AS last_success_at,
       count(*) FILTER (WHERE NOT ok AND poll_no > coalesce(last_ok_no, 0)) AS failure_streak,
       arg_max(error_class || ': ' || detail, poll_no) FILTER (WHERE NOT ok) AS last_error,
       sum(new_entries) AS articles
FROM ranked
GROUP BY feed_id;
