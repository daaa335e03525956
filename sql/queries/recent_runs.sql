-- recent_runs: the latest runs that recorded anything, newest first.
-- parameters: $limit
-- columns: run_id, started, finished, events, articles (discovered), matches, alerts_sent,
--          errors (events with an error class)
SELECT run_id, min(recorded_at) AS started, max(recorded_at) AS finished, count(*) AS events,
       count(*) FILTER (WHERE type = 'ArticleDiscovered') AS articles,
       count(*) FILTER (WHERE type = 'TopicMatched') AS matches,
       count(*) FILTER (WHERE type = 'AlertSent') AS alerts_sent,
       count(*) FILTER (WHERE (payload->>'error_class') IS NOT NULL) AS errors
FROM events
GROUP BY run_id
ORDER BY max(seq) DESC
LIMIT $limit;
