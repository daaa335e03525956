-- plan_polls: what the next poll of each feed needs to know about its history.
-- parameters: none
-- columns: feed_id, polls (highest poll number so far), url, feed_url, final_url, etag,
--          last_modified, content_sha256, moved_to (as of the latest successful poll),
--          last_at, last_ok, last_status, last_retry_after, failure_streak (failed polls
--          since the latest successful one)
SELECT feed_id, last_poll_no AS polls, ok_url AS url, ok_feed_url AS feed_url,
       ok_final_url AS final_url, ok_etag AS etag, ok_last_modified AS last_modified,
       ok_content_sha256 AS content_sha256, ok_moved_to AS moved_to, last_at, last_ok,
       last_poll_status AS last_status, last_retry_after, failures_since_ok AS failure_streak
FROM feed_state;
