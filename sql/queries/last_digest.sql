-- last_digest: when the last digest was decided for a recipient.
-- parameters: $recipient
-- columns: decided_at (NULL when there was none)
SELECT max(occurred_at) AS decided_at
FROM events
WHERE type = 'AlertDecided' AND (payload->>'recipient') = $recipient
  AND (payload->>'mode') = 'digest';
