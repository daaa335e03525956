-- alerted: each article x topic an alert was decided for, per recipient, and how that
-- alert stands: sent; failed for good (a 5xx answer, a TLS or login failure: retrying
-- would not help); or pending (not sent yet: the server was down, or a 4xx asked to
-- try later). One alert per article, topic and recipient: a re-tag that matches the
-- same article again under new rules does not alert again.
-- An item may tell of a change to an article alerted before (`changes: true` in the
-- alerts file): its revision or removal event is change_event_id (see `revisions`).
-- columns: alert_id, recipient, mode, article_id, topic, match_event_id, decided_at,
--          outcome (sent, failed, pending), message_id, error, change_event_id
CREATE OR REPLACE VIEW alerted AS
SELECT i.alert_id, i.recipient, i.mode, i.article_id, i.topic, i.match_event_id, i.decided_at,
       CASE WHEN s.end_type = 'AlertSent' THEN 'sent' WHEN s.end_type = 'AlertFailed' THEN 'failed'
            ELSE 'pending' END AS outcome,
       s.message_id, s.error, i.change_event_id
FROM alert_items AS i
LEFT JOIN alert_state AS s ON s.alert_id = i.alert_id;
