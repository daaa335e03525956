-- failed_alerts: alerts that failed for good, newest first.
-- parameters: none
-- columns: alert_id, recipient, mode, items, decided_at, error
SELECT alert_id, recipient, any_value(mode) AS mode, count(*) AS items, min(decided_at) AS decided_at, any_value(error) AS error
FROM alerted
WHERE outcome = 'failed'
GROUP BY alert_id, recipient
ORDER BY decided_at DESC;
