-- append_events: append the registered Arrow batch `batch` (no event_id twice in it) to
-- the log, skipping events whose event_id is already recorded, and events that follow
-- one recorded before (another run decided that fetch attempt). seq continues the log's
-- numbering in the batch's order.
-- parameters: $run_id
-- batch columns: ord, event_id, type, stream, occurred_at, schema_version, payload,
--                feed_id, article_id, topic, follows
INSERT INTO events
SELECT (SELECT coalesce(max(seq), 0) FROM events) + row_number() OVER (ORDER BY b.ord),
       b.event_id, b.type, b.stream, b.occurred_at, now(), $run_id, b.schema_version,
       b.payload::JSON, b.feed_id, b.article_id, b.topic
FROM batch AS b
WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.event_id = b.event_id)
  AND NOT EXISTS (SELECT 1 FROM events AS e WHERE e.event_id = b.follows);
