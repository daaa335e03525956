-- outbox: alerts decided and not sent yet, and not failed for good, oldest first.
-- parameters: none
-- columns: alert_id, recipient, mode, decided_at, failures (tries so far)
SELECT alert_id, recipient, any_value(mode) AS mode, min(decided_at) AS decided_at,
       (SELECT count(*) FROM events AS f
        WHERE f.type = 'AlertFailed' AND f.stream = 'alert:' || alerted.alert_id) AS failures
FROM alerted
WHERE outcome = 'pending'
GROUP BY alert_id, recipient
ORDER BY decided_at, alert_id;
