-- alert_claim: whether one alert may be taken from the outbox to be sent now.
-- parameters: $alert_id
-- columns: pending (decided, not sent, not failed for good), attempts (tries so far:
--          claims, or failures in logs older than claims), claimed_until (the end of
--          the latest claim, when no outcome followed it)
SELECT coalesce(bool_or(type = 'AlertDecided'), false)
           AND NOT coalesce(bool_or(type = 'AlertSent'), false)
           AND NOT coalesce(bool_or(type = 'AlertFailed'
                                    AND NOT coalesce((payload->>'retryable')::BOOLEAN, false)), false)
           AS pending,
       greatest(count(*) FILTER (WHERE type = 'AlertClaimed'),
                count(*) FILTER (WHERE type = 'AlertFailed')) AS attempts,
       CASE WHEN arg_max(type, seq) = 'AlertClaimed'
            THEN CAST(arg_max(payload->>'until', seq) AS TIMESTAMPTZ) END AS claimed_until
FROM events
WHERE stream = 'alert:' || $alert_id;
