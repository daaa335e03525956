-- stories: one row per story (an article and its copies in other outlets).
-- columns: story_id, title (of its first article), articles, outlets (list), first_day,
--          first_discovered_at, topics (list of topics its articles match now)
CREATE OR REPLACE VIEW stories AS
SELECT a.story_id,
       arg_min(a.title, a.discovered_at) AS title,
       count(DISTINCT a.article_id) AS articles,
       list(DISTINCT coalesce(a.site, a.feed_id) ORDER BY coalesce(a.site, a.feed_id)) AS outlets,
       min(a.day) AS first_day,
       min(a.discovered_at) AS first_discovered_at,
       list(DISTINCT m.topic ORDER BY m.topic) FILTER (WHERE m.topic IS NOT NULL) AS topics
FROM articles AS a
LEFT JOIN mentions AS m USING (article_id)
WHERE a.state = 'extracted'
GROUP BY a.story_id;
