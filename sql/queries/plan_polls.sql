-- plan_polls: each feed's poll history, to plan its next poll.
-- parameters: none
-- columns: feed_id, polls (highest poll number so far), url (as polled last time it
--          succeeded), feed_url (as the feeds file said then), final_url (that
--          answered, after redirects), etag, last_modified, content_sha256 (validators of that poll),
--          moved_to (where a 301/308 sent it last), last_at, last_ok, last_status,
--          last_retry_after, failure_streak (failed polls since the last success)
WITH history AS (
    SELECT feed_id, seq, type, occurred_at, payload,
           (payload->>'poll_no')::INTEGER AS poll_no,
           max(CASE WHEN type = 'FeedPolled' THEN seq END) OVER (PARTITION BY feed_id) AS last_ok_seq
    FROM events
    WHERE type IN ('FeedPolled', 'FeedPollFailed')
)
SELECT feed_id,
       max(poll_no) AS polls,
       arg_max(payload->>'url', seq) FILTER (WHERE type = 'FeedPolled') AS url,
       arg_max(payload->>'feed_url', seq) FILTER (WHERE type = 'FeedPolled') AS feed_url,
       arg_max(payload->>'final_url', seq) FILTER (WHERE type = 'FeedPolled') AS final_url,
       arg_max(payload->>'etag', seq) FILTER (WHERE type = 'FeedPolled') AS etag,
       arg_max(payload->>'last_modified', seq) FILTER (WHERE type = 'FeedPolled') AS last_modified,
       arg_max(payload->>'content_sha256', seq) FILTER (WHERE type = 'FeedPolled') AS content_sha256,
       arg_max(payload->>'moved_to', seq) FILTER (WHERE type = 'FeedPolled') AS moved_to,
       max(occurred_at) AS last_at,
       arg_max(type, seq) = 'FeedPolled' AS last_ok,
       arg_max((payload->>'status')::INTEGER, seq) AS last_status,
       arg_max(payload->>'retry_after', seq) AS last_retry_after,
       count(*) FILTER (WHERE type = 'FeedPollFailed' AND seq > coalesce(last_ok_seq, 0)) AS failure_streak
FROM history
GROUP BY feed_id;
