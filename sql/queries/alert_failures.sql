-- alert_failures: how many times an alert has failed so far.
-- parameters: $stream (alert:<alert id>)
-- columns: failures
SELECT count(*) AS failures FROM events WHERE type = 'AlertFailed' AND stream = $stream;
