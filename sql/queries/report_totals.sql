-- report_totals: the size of the log, for the top of a report.
-- parameters: none
-- columns: events, feeds, articles, extracted, stories, first_event, last_event
SELECT (SELECT count(*) FROM events) AS events,
       (SELECT count(*) FROM feeds) AS feeds,
       (SELECT count(*) FROM articles) AS articles,
       (SELECT count(*) FROM articles WHERE state = 'extracted') AS extracted,
       (SELECT count(DISTINCT story_id) FROM articles WHERE state = 'extracted') AS stories,
       (SELECT min(recorded_at) FROM events) AS first_event,
       (SELECT max(recorded_at) FROM events) AS last_event;
