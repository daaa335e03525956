-- article_events: what the log holds about one article, in order.
-- parameters: $article_id
-- columns: seq, recorded_at, type, run_id, payload
SELECT seq, recorded_at, type, run_id, payload FROM events WHERE article_id = $article_id ORDER BY seq;
