-- alert_latency, replayed from the log: the sent alerts of `alerted`, the time of their
-- last end event, and the article as `articles` gives it.
CREATE OR REPLACE VIEW alert_latency AS
WITH ended AS (
    SELECT split_part(stream, ':', 2) AS alert_id, arg_max(occurred_at, seq) AS at
    FROM events
    WHERE type = 'AlertSent'
       OR (type = 'AlertFailed' AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
       OR (type = 'AlertClaimed' AND coalesce((payload->>'retry')::BOOLEAN, false))
    GROUP BY 1
)
SELECT al.alert_id, al.recipient, al.mode, al.topic, al.article_id, a.feed_id, a.published,
       a.discovered_at, e.at AS sent_at,
       date_diff('second', a.discovered_at, e.at) / 60.0 AS minutes_from_discovery,
       CASE WHEN a.date_source IN ('feed', 'page', 'text') AND a.date_flag IS NULL
            THEN date_diff('second', a.published, e.at) / 60.0 END AS minutes_from_publication
FROM alerted AS al
JOIN ended AS e USING (alert_id)
JOIN articles AS a USING (article_id)
WHERE al.outcome = 'sent' AND al.change_event_id IS NULL;
