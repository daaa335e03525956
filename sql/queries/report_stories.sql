-- report_stories: per topic, every story with a matching article published from $since to
-- $until, the most significant first: carried by more outlets, then by more articles,
-- then matched more strongly; among equals the earlier first (never "newest first", which
-- buried a story every outlet carried under a later one-outlet item).
-- parameters: $since, $until (DATEs)
-- columns: topic, story_id, title, url, snippet, articles, outlets (list), score,
--          first_day, last_day
SELECT topic, coalesce(story_id, article_id) AS story_id,
       arg_min(title, coalesce(published, discovered_at)) AS title,
       arg_min(url, coalesce(published, discovered_at)) AS url,
       arg_max(snippet, score) AS snippet,
       count(*) AS articles,
       list(DISTINCT coalesce(site, feed_id) ORDER BY coalesce(site, feed_id)) AS outlets,
       max(score) AS score, min(day) AS first_day, max(day) AS last_day
FROM mentions
WHERE day BETWEEN $since AND $until
GROUP BY topic, coalesce(story_id, article_id)
ORDER BY topic, len(outlets) DESC, articles DESC, score DESC, first_day, story_id;
