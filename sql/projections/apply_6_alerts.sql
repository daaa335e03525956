-- apply_6_alerts: the items of each decided alert into alert_items, and each alert's
-- events folded into alert_state (claims, failures, how it ended).

-- when: EXISTS (SELECT 1 FROM new_events WHERE type = 'AlertDecided')
INSERT INTO alert_items
SELECT split_part(stream, ':', 2), payload->>'recipient', payload->>'mode', item.article_id,
       item.topic, item.match_event_id, occurred_at, item.change_event_id
FROM (SELECT stream, payload, occurred_at,
             unnest(from_json(payload->'items', '[{"article_id": "VARCHAR", "topic": "VARCHAR",
                                                   "match_event_id": "VARCHAR",
                                                   "change_event_id": "VARCHAR"}]')) AS item
      FROM new_events WHERE type = 'AlertDecided');

CREATE OR REPLACE TEMP TABLE d_alert AS
SELECT newsmon_key(split_part(stream, ':', 2)) AS key, split_part(stream, ':', 2) AS alert_id,
       arg_min(payload->>'recipient', seq) AS recipient,
       arg_min(payload->>'mode', seq) FILTER (WHERE type = 'AlertDecided') AS mode,
       min(occurred_at) FILTER (WHERE type = 'AlertDecided') AS decided_at,
       coalesce(bool_or(type = 'AlertDecided'), false) AS decided,
       count(*) FILTER (WHERE type = 'AlertClaimed') AS claims,
       count(*) FILTER (WHERE type = 'AlertFailed') AS failures,
       count(*) AS n,
       arg_max(type, seq) AS last_type,
       CAST(arg_max(payload->>'until', seq) FILTER (WHERE type = 'AlertClaimed') AS TIMESTAMPTZ) AS last_claim_until,
       -- how it ended: sent, or failed for good (a retryable failure leaves it pending);
       -- a claim marked `retry` (newsmon alert --retry-failed) reopens one that failed
       count(*) FILTER (WHERE type = 'AlertSent' OR (type = 'AlertFailed'
                        AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
                        OR (type = 'AlertClaimed' AND coalesce((payload->>'retry')::BOOLEAN, false))) AS n_end,
       nullif(arg_max(type, seq) FILTER (WHERE type = 'AlertSent' OR (type = 'AlertFailed'
                        AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
                        OR (type = 'AlertClaimed' AND coalesce((payload->>'retry')::BOOLEAN, false))),
              'AlertClaimed') AS end_type,
       arg_max(payload->>'message_id', seq) FILTER (WHERE type = 'AlertSent' OR (type = 'AlertFailed'
                        AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
                        OR (type = 'AlertClaimed' AND coalesce((payload->>'retry')::BOOLEAN, false))) AS message_id,
       arg_max(CASE WHEN type = 'AlertFailed' THEN (payload->>'error_class') || ': ' || (payload->>'detail') END, seq)
           FILTER (WHERE type = 'AlertSent' OR (type = 'AlertFailed'
                   AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
                   OR (type = 'AlertClaimed' AND coalesce((payload->>'retry')::BOOLEAN, false))) AS error,
       arg_max(occurred_at, seq) FILTER (WHERE type = 'AlertSent' OR (type = 'AlertFailed'
                   AND NOT coalesce((payload->>'retryable')::BOOLEAN, false))
                   OR (type = 'AlertClaimed' AND coalesce((payload->>'retry')::BOOLEAN, false))) AS ended_at
FROM new_events
WHERE type IN ('AlertDecided', 'AlertClaimed', 'AlertSent', 'AlertFailed')
GROUP BY stream;

UPDATE alert_state AS a SET
    recipient = coalesce(a.recipient, d.recipient),
    mode = coalesce(a.mode, d.mode),
    decided_at = least(a.decided_at, d.decided_at),
    decided = a.decided OR d.decided,
    claims = a.claims + d.claims,
    failures = a.failures + d.failures,
    last_type = d.last_type,
    last_claim_until = coalesce(d.last_claim_until, a.last_claim_until),
    end_type = CASE WHEN d.n_end > 0 THEN d.end_type ELSE a.end_type END,
    message_id = CASE WHEN d.n_end > 0 THEN d.message_id ELSE a.message_id END,
    error = CASE WHEN d.n_end > 0 THEN d.error ELSE a.error END,
    ended_at = CASE WHEN d.n_end > 0 THEN d.ended_at ELSE a.ended_at END
FROM d_alert AS d
WHERE a.key = d.key;

INSERT INTO alert_state
SELECT key, alert_id, recipient, mode, decided_at, decided, claims, failures, last_type,
       last_claim_until, end_type, message_id, error, ended_at
FROM d_alert AS d
WHERE NOT EXISTS (SELECT 1 FROM alert_state AS a WHERE a.key = d.key);
