-- recent_runs: the latest runs and what each recorded.
-- parameters: $limit
-- columns: run_id, started, finished, events, articles (discovered), matches,
--          alerts_sent, errors (events with an error class)
SELECT run_id, started, finished, events, articles, matches, alerts_sent, errors
FROM run_log
ORDER BY last_seq DESC
LIMIT $limit;
