-- alert_latency: how soon each alert that went out told its recipient, per article ×
-- topic × recipient: from when a poll first found the article, and from when it was
-- published (where the feed or the page gave a date that can be trusted).
-- columns: alert_id, recipient, mode, topic, article_id, feed_id, published,
--          discovered_at, sent_at, minutes_from_discovery, minutes_from_publication
CREATE OR REPLACE VIEW alert_latency AS
SELECT i.alert_id, i.recipient, i.mode, i.topic, i.article_id, a.feed_id, a.published,
       a.discovered_at, s.ended_at AS sent_at,
       date_diff('second', a.discovered_at, s.ended_at) / 60.0 AS minutes_from_discovery,
       CASE WHEN a.date_source IN ('feed', 'page', 'text') AND a.date_flag IS NULL
            THEN date_diff('second', a.published, s.ended_at) / 60.0 END AS minutes_from_publication
FROM alert_items AS i
JOIN alert_state AS s ON s.alert_id = i.alert_id AND s.end_type = 'AlertSent'
JOIN article_state AS a ON a.article_id = i.article_id AND a.discovered_seq IS NOT NULL
WHERE i.change_event_id IS NULL;  -- told of a match, not of a later change
