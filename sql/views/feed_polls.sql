-- feed_polls: one row per poll of a feed, successful or not.
-- columns: feed_id, poll_no, polled_at, ok, http_status, not_modified, entries,
--          new_entries (articles first discovered by this poll), error_class, detail,
--          elapsed_ms, url, moved_to, run_id, event_id
CREATE OR REPLACE VIEW feed_polls AS
SELECT feed_id, poll_no, polled_at, ok, http_status, not_modified, entries, new_entries,
       error_class, detail, elapsed_ms, url, moved_to, run_id, event_id
FROM poll_log;
