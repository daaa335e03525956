-- apply_8_counts: the counts per day, week, outlet and pair of topics, made again for
-- the days, weeks and outlets the touched articles counted on before or count on now,
-- and for the pairs of topics they match (a touched article's mentions are all here).

CREATE OR REPLACE TEMP TABLE touched_days AS
SELECT day FROM touched_before WHERE day IS NOT NULL
UNION
SELECT a.day FROM article_state AS a SEMI JOIN touched AS t ON a.key = t.key WHERE a.day IS NOT NULL;

CREATE OR REPLACE TEMP TABLE touched_weeks AS
SELECT DISTINCT CAST(date_trunc('week', day) AS DATE) AS week FROM touched_days;

DELETE FROM day_ingested WHERE day IN (SELECT day FROM touched_days);
INSERT INTO day_ingested
SELECT day, count(*), count(DISTINCT story_key)
FROM article_state
WHERE day IN (SELECT day FROM touched_days) AND extracted AND discovered_seq IS NOT NULL
GROUP BY day;

DELETE FROM topic_day WHERE day IN (SELECT day FROM touched_days);
INSERT INTO topic_day
SELECT day, topic,
       count(*) FILTER (WHERE decision = 'TopicMatched'),
       count(DISTINCT story_key) FILTER (WHERE decision = 'TopicMatched'),
       count(*) FILTER (WHERE first_match_event_id IS NOT NULL)
FROM mention_state
WHERE day IN (SELECT day FROM touched_days) AND discovered_at IS NOT NULL
GROUP BY day, topic;

DELETE FROM week_ingested WHERE week IN (SELECT week FROM touched_weeks);
INSERT INTO week_ingested
SELECT CAST(date_trunc('week', day) AS DATE) AS week, count(*)
FROM article_state
WHERE day >= (SELECT min(week) FROM touched_weeks)
  AND CAST(date_trunc('week', day) AS DATE) IN (SELECT week FROM touched_weeks)
  AND extracted AND discovered_seq IS NOT NULL
GROUP BY 1;

DELETE FROM topic_week WHERE week IN (SELECT week FROM touched_weeks);
INSERT INTO topic_week
SELECT CAST(date_trunc('week', day) AS DATE) AS week, topic, count(*), count(DISTINCT story_key)
FROM mention_state
WHERE day >= (SELECT min(week) FROM touched_weeks)
  AND CAST(date_trunc('week', day) AS DATE) IN (SELECT week FROM touched_weeks)
  AND decision = 'TopicMatched' AND discovered_at IS NOT NULL
GROUP BY 1, 2;

CREATE OR REPLACE TEMP TABLE touched_outlets AS
SELECT coalesce(site, feed_id) AS outlet FROM touched_before
UNION
SELECT coalesce(a.site, a.feed_id) FROM article_state AS a SEMI JOIN touched AS t ON a.key = t.key;

DELETE FROM topic_outlet WHERE outlet IN (SELECT outlet FROM touched_outlets);
INSERT INTO topic_outlet
SELECT topic, coalesce(site, feed_id) AS outlet, min(feed_id), count(*),
       count(DISTINCT story_key), min(day), max(day)
FROM mention_state
WHERE coalesce(site, feed_id) IN (SELECT outlet FROM touched_outlets)
  AND decision = 'TopicMatched' AND discovered_at IS NOT NULL
GROUP BY topic, coalesce(site, feed_id);

-- pairs of topics: those a touched article has a decision on both of (a pair's counts
-- change only through such an article)
CREATE OR REPLACE TEMP TABLE touched_pairs AS
SELECT DISTINCT a.topic AS topic_a, b.topic AS topic_b
FROM mention_state AS a
JOIN mention_state AS b ON a.article_key = b.article_key AND a.topic < b.topic
WHERE a.article_key IN (SELECT key FROM touched);

DELETE FROM topic_pair WHERE (topic_a, topic_b) IN (SELECT (topic_a, topic_b) FROM touched_pairs);
INSERT INTO topic_pair
SELECT a.topic, b.topic, count(*), count(DISTINCT a.story_key)
FROM (SELECT * FROM mention_state
      WHERE decision = 'TopicMatched' AND discovered_at IS NOT NULL
        AND topic IN (SELECT topic_a FROM touched_pairs)) AS a
JOIN (SELECT * FROM mention_state
      WHERE decision = 'TopicMatched' AND discovered_at IS NOT NULL
        AND topic IN (SELECT topic_b FROM touched_pairs)) AS b
  ON a.article_key = b.article_key AND a.topic < b.topic
WHERE (a.topic, b.topic) IN (SELECT (topic_a, topic_b) FROM touched_pairs)
GROUP BY 1, 2;
