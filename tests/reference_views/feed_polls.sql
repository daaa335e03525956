-- feed_polls: one row per poll of a feed, successful or not.
-- columns: feed_id, poll_no, polled_at, ok, http_status, not_modified, entries,
--          new_entries (articles first discovered by this poll), error_class, detail,
--          elapsed_ms, url, moved_to, run_id, event_id
CREATE OR REPLACE VIEW feed_polls AS
SELECT p.feed_id,
       (p.payload->>'poll_no')::INTEGER AS poll_no,
       p.occurred_at AS polled_at,
       p.type = 'FeedPolled' AS ok,
       (p.payload->>'status')::INTEGER AS http_status,
       coalesce((p.payload->>'not_modified')::BOOLEAN, false) AS not_modified,
       (p.payload->>'entries')::INTEGER AS entries,
       coalesce(d.new_entries, 0) AS new_entries,
       p.payload->>'error_class' AS error_class,
       p.payload->>'detail' AS detail,
       (p.payload->>'elapsed_ms')::INTEGER AS elapsed_ms,
       p.payload->>'url' AS url,
       p.payload->>'moved_to' AS moved_to,
       p.run_id,
       p.event_id
FROM events AS p
LEFT JOIN (
    SELECT payload->>'poll' AS poll, count(*) AS new_entries
    FROM events
    WHERE type = 'ArticleDiscovered'
    GROUP BY 1
) AS d ON d.poll = p.event_id
WHERE p.type IN ('FeedPolled', 'FeedPollFailed');
