-- append_events: append the registered Arrow batch `batch` (no event_id twice in it) to
-- the log, but not the events whose ids, or the ids they follow, are in the temporary
-- table `recorded` (recorded_ids.sql, in the same transaction: another run decided that
-- fetch attempt). seq continues the log's numbering in the batch's order.
-- parameters: $run_id
-- batch columns: ord, event_id, type, stream, occurred_at, schema_version, payload,
--                feed_id, article_id, topic, follows
INSERT INTO events
SELECT (SELECT coalesce(max(seq), 0) FROM events) + row_number() OVER (ORDER BY b.ord),
       b.event_id, b.type, b.stream, b.occurred_at, now(), $run_id, b.schema_version,
       b.payload::JSON, b.feed_id, b.article_id, b.topic
FROM batch AS b
WHERE b.event_id NOT IN (SELECT event_id FROM recorded)
  AND (b.follows IS NULL OR b.follows NOT IN (SELECT event_id FROM recorded));
