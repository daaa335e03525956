-- report_totals: the size of the log and of what it holds.
-- parameters: none
-- columns: events, feeds, articles, extracted, stories, first_event, last_event
SELECT (SELECT count(*) FROM events) AS events,
       (SELECT count(*) FROM feed_state) AS feeds,
       (SELECT count(*) FROM article_state WHERE discovered_seq IS NOT NULL) AS articles,
       (SELECT count(*) FROM article_state WHERE extracted AND discovered_seq IS NOT NULL) AS extracted,
       (SELECT count(*) FROM story_state) AS stories,
       (SELECT min(started) FROM run_log) AS first_event,
       (SELECT max(finished) FROM run_log) AS last_event;
