-- alerted: each article x topic an alert was decided for, per recipient, and how it
-- ended: sent, or failed for good (a 5xx answer, a TLS or login failure: retrying would
-- not help). Failures worth retrying are not here: those matches are still pending.
-- One alert per article, topic and recipient: a re-tag that matches the same article
-- again under new rules does not alert again.
-- columns: alert_id, recipient, article_id, topic, outcome (sent, failed), decided_at,
--          message_id, error
CREATE OR REPLACE VIEW alerted AS
WITH items AS (
    SELECT split_part(stream, ':', 2) AS alert_id,
           payload->>'recipient' AS recipient,
           unnest(from_json(payload->'items', '[{"article_id": "VARCHAR", "topic": "VARCHAR"}]')) AS item,
           CASE WHEN type = 'AlertSent' THEN 'sent' ELSE 'failed' END AS outcome,
           occurred_at AS decided_at,
           payload->>'message_id' AS message_id,
           CASE WHEN type = 'AlertFailed'
                THEN (payload->>'error_class') || ': ' || (payload->>'detail') END AS error
    FROM events
    WHERE type = 'AlertSent'
       OR (type = 'AlertFailed' AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
)
SELECT alert_id, recipient, item.article_id, item.topic, outcome, decided_at, message_id, error
FROM items;
