-- alerted: each match an alert was decided for, per recipient, and how it ended: sent,
-- or failed for good (a 5xx answer, a TLS or login failure: retrying would not help).
-- Failures worth retrying are not here: those matches are still pending.
-- columns: alert_id, recipient, match_event_id, outcome (sent, failed), at, message_id, error
CREATE OR REPLACE VIEW alerted AS
SELECT split_part(stream, ':', 2) AS alert_id,
       payload->>'recipient' AS recipient,
       unnest(from_json(payload->'matches', '["VARCHAR"]')) AS match_event_id,
       CASE WHEN type = 'AlertSent' THEN 'sent' ELSE 'failed' END AS outcome,
       occurred_at AS at,
       payload->>'message_id' AS message_id,
       CASE WHEN type = 'AlertFailed' THEN (payload->>'error_class') || ': ' || (payload->>'detail') END AS error
FROM events
WHERE type = 'AlertSent'
   OR (type = 'AlertFailed' AND NOT coalesce((payload->>'retryable')::BOOLEAN, false));
