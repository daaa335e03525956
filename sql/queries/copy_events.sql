-- copy_events: append the registered Arrow batch `batch` of another log's rows (all
-- columns of `events`) to this log, skipping event ids it holds already. Rows keep
-- their recorded_at and run_id; seq continues this log's numbering in the batch's order.
INSERT INTO events
SELECT (SELECT coalesce(max(seq), 0) FROM events) + row_number() OVER (ORDER BY b.seq),
       b.event_id, b.type, b.stream, b.occurred_at, b.recorded_at, b.run_id,
       b.schema_version, b.payload::JSON, b.feed_id, b.article_id, b.topic
FROM batch AS b
WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.event_id = b.event_id);
