-- append_events: append the registered Arrow batch `batch` to the log, skipping events
-- whose event_id is already recorded (and repeats within the batch).
-- parameters: $run_id
-- batch columns: ord, event_id, type, stream, occurred_at, schema_version, payload,
--                feed_id, article_id, topic
-- returns: the event_id of each event actually appended
INSERT INTO events
SELECT (SELECT coalesce(max(seq), 0) FROM events) + row_number() OVER (ORDER BY b.ord),
       b.event_id, b.type, b.stream, b.occurred_at, now(), $run_id, b.schema_version,
       b.payload::JSON, b.feed_id, b.article_id, b.topic
FROM (
    SELECT * FROM batch
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ord) = 1
) AS b
WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.event_id = b.event_id)
RETURNING event_id;
