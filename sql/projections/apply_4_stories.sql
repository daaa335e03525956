-- apply_4_stories: story_state made again for every story an article touched belonged
-- to before or belongs to now; the outlets of those stories copied onto their matches.

CREATE OR REPLACE TEMP TABLE touched_stories AS
SELECT story_key FROM touched_before WHERE story_key IS NOT NULL
UNION
SELECT a.story_key FROM article_state AS a SEMI JOIN touched AS t ON a.key = t.key;

DELETE FROM story_state WHERE story_key IN (SELECT story_key FROM touched_stories);

INSERT INTO story_state
WITH members AS (
    SELECT a.* FROM article_state AS a
    WHERE a.story_key IN (SELECT story_key FROM touched_stories)
      AND a.extracted AND a.discovered_seq IS NOT NULL
), topics AS (
    SELECT m.story_key, list(DISTINCT m.topic ORDER BY m.topic) AS topics
    FROM mention_state AS m
    WHERE m.story_key IN (SELECT story_key FROM touched_stories) AND m.decision = 'TopicMatched'
      AND m.article_key IN (SELECT key FROM members)
    GROUP BY m.story_key
)
SELECT s.story_key, s.story_id, s.title, s.url, s.first_article_key, s.articles, s.outlets,
       s.first_day, s.first_discovered_at, t.topics
FROM (SELECT story_key, any_value(coalesce(story_id, article_id)) AS story_id,
             -- the first discovered, the first recorded among those discovered at once
             arg_min(title, (discovered_at, discovered_seq)) AS title,
             arg_min(url, (discovered_at, discovered_seq)) AS url,
             arg_min(key, (discovered_at, discovered_seq)) AS first_article_key,
             count(DISTINCT article_id) AS articles,
             list(DISTINCT coalesce(site, feed_id) ORDER BY coalesce(site, feed_id)) AS outlets,
             min(day) AS first_day, min(discovered_at) AS first_discovered_at
      FROM members GROUP BY story_key) AS s
LEFT JOIN topics AS t USING (story_key);

UPDATE match_log AS m SET story_outlets = s.outlets
FROM (SELECT t.story_key, s.outlets FROM touched_stories AS t
      LEFT JOIN story_state AS s USING (story_key)) AS s
WHERE m.story_key = s.story_key;
