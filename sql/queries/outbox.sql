-- outbox: alerts decided and not sent yet, and not failed for good, oldest first.
-- parameters: none
-- columns: alert_id, recipient, mode, decided_at, failures (tries so far)
SELECT alert_id, recipient, mode, decided_at, failures
FROM alert_state
WHERE decided AND end_type IS NULL
ORDER BY decided_at, alert_id;
