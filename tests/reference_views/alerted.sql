-- alerted: each article x topic an alert was decided for, per recipient, and how that
-- alert stands: sent; failed for good (a 5xx answer, a TLS or login failure: retrying
-- would not help); or pending (not sent yet: the server was down, or a 4xx asked to
-- try later). One alert per article, topic and recipient: a re-tag that matches the
-- same article again under new rules does not alert again.
-- columns: alert_id, recipient, mode, article_id, topic, match_event_id, decided_at,
--          outcome (sent, failed, pending), message_id, error
CREATE OR REPLACE VIEW alerted AS
WITH decided AS (
    SELECT split_part(stream, ':', 2) AS alert_id, stream,
           payload->>'recipient' AS recipient,
           payload->>'mode' AS mode,
           occurred_at AS decided_at,
           unnest(from_json(payload->'items',
                            '[{"article_id": "VARCHAR", "topic": "VARCHAR", "match_event_id": "VARCHAR",
                               "change_event_id": "VARCHAR"}]')) AS item
    FROM events
    WHERE type = 'AlertDecided'
), ended AS (  -- the last end; a retry claim (alert --retry-failed) reopens a failed alert
    SELECT stream,
           arg_max(type, seq) AS type,
           arg_max(payload->>'message_id', seq) AS message_id,
           arg_max(CASE WHEN type = 'AlertFailed' THEN (payload->>'error_class') || ': ' || (payload->>'detail') END, seq) AS error
    FROM events
    WHERE type = 'AlertSent'
       OR (type = 'AlertFailed' AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
       OR (type = 'AlertClaimed' AND coalesce((payload->>'retry')::BOOLEAN, false))
    GROUP BY stream
)
SELECT d.alert_id, d.recipient, d.mode, d.item.article_id, d.item.topic, d.item.match_event_id,
       d.decided_at,
       CASE WHEN e.type = 'AlertSent' THEN 'sent' WHEN e.type = 'AlertFailed' THEN 'failed'
            ELSE 'pending' END AS outcome,
       e.message_id, e.error, d.item.change_event_id
FROM decided AS d
LEFT JOIN ended AS e USING (stream);
