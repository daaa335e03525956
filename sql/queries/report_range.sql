-- report_range: how much was ingested from $since to $until, and the days the log holds
-- matches for (to say where to look when the range is empty).
-- parameters: $since, $until (DATEs)
-- columns: extracted, stories, first_match, last_match
SELECT count(*) FILTER (WHERE state = 'extracted') AS extracted,
       count(DISTINCT story_id) FILTER (WHERE state = 'extracted') AS stories,
       (SELECT min(day) FROM mentions) AS first_match,
       (SELECT max(day) FROM mentions) AS last_match
FROM articles
WHERE day BETWEEN $since AND $until;
