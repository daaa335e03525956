-- poll_rates: per feed, what its successful polls of the 7 days up to $now found: what
-- its poll interval is learned from (ingest/schedule.py).
-- parameters: $now (TIMESTAMPTZ)
-- columns: feed_id, polls, found (articles they found first), first_at, last_at,
--          last_entries (entries the last listed; -1: it answered 304), last_new,
--          hint_s (the freshness the server gave last, in seconds)
SELECT feed_id, count(*) AS polls, sum(new_entries) AS found, min(polled_at) AS first_at,
       max(polled_at) AS last_at, arg_max(coalesce(entries, -1), seq) AS last_entries,
       arg_max(new_entries, seq) AS last_new, arg_max(hint_s, seq) AS hint_s
FROM poll_log
WHERE ok AND polled_at > $now - INTERVAL 7 DAY AND polled_at <= $now
GROUP BY feed_id;
