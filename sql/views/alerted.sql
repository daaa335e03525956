-- alerted: each match that went out in an alert, per recipient.
-- columns: alert_id, recipient, match_event_id, sent_at, message_id
CREATE OR REPLACE VIEW alerted AS
SELECT split_part(stream, ':', 2) AS alert_id,
       payload->>'recipient' AS recipient,
       unnest(from_json(payload->'matches', '["VARCHAR"]')) AS match_event_id,
       occurred_at AS sent_at,
       payload->>'message_id' AS message_id
FROM events
WHERE type = 'AlertSent';
