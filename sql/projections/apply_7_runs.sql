-- apply_7_runs: what each run recorded, added to run_log.

CREATE OR REPLACE TEMP TABLE d_run AS
SELECT run_id, min(recorded_at) AS started, max(recorded_at) AS finished, max(seq) AS last_seq,
       count(*) AS events,
       count(*) FILTER (WHERE type = 'ArticleDiscovered') AS articles,
       count(*) FILTER (WHERE type = 'TopicMatched') AS matches,
       count(*) FILTER (WHERE type = 'AlertSent') AS alerts_sent,
       count(*) FILTER (WHERE (payload->>'error_class') IS NOT NULL) AS errors
FROM new_events GROUP BY run_id;

UPDATE run_log AS r SET
    started = least(r.started, d.started), finished = greatest(r.finished, d.finished),
    last_seq = greatest(r.last_seq, d.last_seq), events = r.events + d.events,
    articles = r.articles + d.articles, matches = r.matches + d.matches,
    alerts_sent = r.alerts_sent + d.alerts_sent, errors = r.errors + d.errors
FROM d_run AS d
WHERE r.run_id IS NOT DISTINCT FROM d.run_id;

INSERT INTO run_log
SELECT * FROM d_run AS d
WHERE NOT EXISTS (SELECT 1 FROM run_log AS r WHERE r.run_id IS NOT DISTINCT FROM d.run_id);
