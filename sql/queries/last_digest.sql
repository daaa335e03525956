-- last_digest: when the latest digest for a recipient was decided.
-- parameters: $recipient
-- columns: decided_at (NULL if none yet)
SELECT max(decided_at) AS decided_at
FROM alert_state
WHERE recipient = $recipient AND mode = 'digest' AND decided;
