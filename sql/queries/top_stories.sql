-- top_stories: per topic, the stories carried by the most articles and outlets, newest
-- first among equals, that began on or after $since.
-- parameters: $per_topic, $since (a DATE, or NULL for all)
-- columns: topic, story_id, title, url, snippet, articles, outlets, first_day
WITH per_topic AS (
    SELECT unnest(topics) AS topic, story_id, story_key, title, url, first_article_key,
           articles, outlets, first_day
    FROM story_state
    WHERE $since IS NULL OR first_day >= $since
), ranked AS (
    SELECT * FROM per_topic
    QUALIFY row_number() OVER (PARTITION BY topic ORDER BY articles DESC, len(outlets) DESC,
                               first_day DESC, story_id) <= $per_topic
)
SELECT r.topic, r.story_id, r.title, r.url, m.snippet, r.articles, r.outlets, r.first_day
FROM ranked AS r
LEFT JOIN mention_state AS m ON m.article_key = r.first_article_key AND m.topic = r.topic
ORDER BY r.topic, r.articles DESC, len(r.outlets) DESC, r.first_day DESC, r.story_id;
