-- apply_3_stories: story_state made again for every story an article touched belonged
-- to before or belongs to now. Members are found by their story's key alone first,
-- then read from the first of them on (see apply_1): a story's copies are recent.

CREATE OR REPLACE TEMP TABLE touched_stories AS
SELECT story_key FROM before WHERE story_key IS NOT NULL
UNION
SELECT story_key FROM after;

CREATE OR REPLACE TEMP TABLE member_rows AS
SELECT a.rowid AS row FROM article_state AS a
WHERE a.story_key.hi IN (SELECT story_key.hi FROM touched_stories);

CREATE OR REPLACE TEMP TABLE members AS
SELECT a.key, a.article_id, a.story_id, a.story_key, a.title, a.url, a.discovered_at,
       a.discovered_seq, a.site, a.feed_id, a.day
FROM article_state AS a
WHERE a.story_key IN (SELECT story_key FROM touched_stories)
  AND a.rowid >= coalesce((SELECT min(row) FROM member_rows), 9223372036854775807)
  AND a.extracted AND a.discovered_seq IS NOT NULL;

CREATE OR REPLACE TEMP TABLE member_mention_rows AS
SELECT m.rowid AS row FROM mention_state AS m
WHERE m.story_key.hi IN (SELECT story_key.hi FROM touched_stories);

CREATE OR REPLACE TEMP TABLE story_topics AS
SELECT m.story_key, list(DISTINCT m.topic ORDER BY m.topic) AS topics
FROM mention_state AS m
WHERE m.story_key IN (SELECT story_key FROM touched_stories)
  AND m.rowid >= coalesce((SELECT min(row) FROM member_mention_rows), 9223372036854775807)
  AND m.decision = 'TopicMatched' AND m.article_key IN (SELECT key FROM members)
GROUP BY m.story_key;

CREATE OR REPLACE TEMP TABLE stories_after AS
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
LEFT JOIN story_topics AS t USING (story_key);

-- when: EXISTS (SELECT 1 FROM touched_stories)
DELETE FROM story_state WHERE story_key IN (SELECT story_key FROM touched_stories);

-- when: EXISTS (SELECT 1 FROM stories_after)
INSERT INTO story_state SELECT * FROM stories_after;
