-- alert_items: what one decided alert is about, as its message will say it.
-- parameters: $alert_id
-- columns: those of the `matches` view, and found_by_retag
SELECT m.*, c.found_by_retag
FROM alerted AS a
JOIN matches AS m USING (match_event_id)
LEFT JOIN mentions AS c ON c.article_id = a.article_id AND c.topic = a.topic
WHERE a.alert_id = $alert_id
ORDER BY m.topic, m.tagged_at, m.article_id;
