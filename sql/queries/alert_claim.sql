-- alert_claim: whether one alert may be taken from the outbox to be sent now.
-- parameters: $alert_id
-- columns: pending (decided, not sent, not failed for good), attempts (tries so far:
--          claims, or failures in logs older than claims), claimed_until (the end of
--          the latest claim, when no outcome followed it), failed (failed for good)
SELECT coalesce(bool_or(decided AND end_type IS NULL), false) AS pending,
       coalesce(max(greatest(claims, failures)), 0) AS attempts,
       max(CASE WHEN last_type = 'AlertClaimed' THEN last_claim_until END) AS claimed_until,
       coalesce(bool_or(end_type = 'AlertFailed'), false) AS failed
FROM alert_state
WHERE key = newsmon_key($alert_id);
