-- top_stories: each topic's stories with the most coverage (articles, then outlets),
-- newest first among equals.
-- parameters: $per_topic, $since (DATE or NULL)
-- columns: topic, story_id, title, url, snippet, articles, outlets (list), first_day
SELECT topic, story_id,
       arg_min(title, discovered_at) AS title,
       arg_min(url, discovered_at) AS url,
       arg_min(snippet, discovered_at) AS snippet,
       count(*) AS articles,
       list(DISTINCT coalesce(site, feed_id) ORDER BY coalesce(site, feed_id)) AS outlets,
       min(day) AS first_day
FROM mentions
WHERE $since IS NULL OR day >= $since
GROUP BY topic, story_id
QUALIFY row_number() OVER (PARTITION BY topic ORDER BY count(*) DESC,
                           len(list(DISTINCT coalesce(site, feed_id))) DESC,
                           min(day) DESC, story_id) <= $per_topic
ORDER BY topic, articles DESC, first_day DESC;
