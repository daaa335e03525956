-- plan_polls: each feed's poll history, to plan its next poll.
-- parameters: none
-- columns: feed_id, polls (highest poll number so far), url, etag, last_modified,
--          content_sha256 (the validators of its latest successful poll)
SELECT feed_id,
       max((payload->>'poll_no')::INTEGER) AS polls,
       arg_max(payload->>'url', seq) FILTER (WHERE type = 'FeedPolled') AS url,
       arg_max(payload->>'etag', seq) FILTER (WHERE type = 'FeedPolled') AS etag,
       arg_max(payload->>'last_modified', seq) FILTER (WHERE type = 'FeedPolled') AS last_modified,
       arg_max(payload->>'content_sha256', seq) FILTER (WHERE type = 'FeedPolled') AS content_sha256
FROM events
WHERE type IN ('FeedPolled', 'FeedPollFailed')
GROUP BY feed_id;
