-- apply_8_counts: the counts per day, in all and per topic, made again for the days the
-- touched articles counted on before or count on now, and per topic and week for the
-- weeks of those days (the rows of a day are found by its zone maps: articles and
-- mentions come in roughly in the order of their days).

CREATE OR REPLACE TEMP TABLE touched_days AS
SELECT day FROM before WHERE day IS NOT NULL
UNION
SELECT day FROM after WHERE day IS NOT NULL;

-- when: EXISTS (SELECT 1 FROM touched_days)
DELETE FROM day_ingested WHERE day IN (SELECT day FROM touched_days);
-- when: EXISTS (SELECT 1 FROM touched_days)
INSERT INTO day_ingested
SELECT day, count(*), count(DISTINCT story_key)
FROM article_state
WHERE day IN (SELECT day FROM touched_days) AND extracted AND discovered_seq IS NOT NULL
GROUP BY day;

-- when: EXISTS (SELECT 1 FROM touched_days)
DELETE FROM topic_day WHERE day IN (SELECT day FROM touched_days);
-- when: EXISTS (SELECT 1 FROM touched_days)
INSERT INTO topic_day
SELECT day, topic,
       count(*) FILTER (WHERE decision = 'TopicMatched'),
       count(DISTINCT story_key) FILTER (WHERE decision = 'TopicMatched'),
       count(*) FILTER (WHERE first_match_event_id IS NOT NULL)
FROM mention_state
WHERE day IN (SELECT day FROM touched_days) AND discovered_at IS NOT NULL
GROUP BY day, topic;

-- (weeks start on Monday, as date_trunc gives them)
CREATE OR REPLACE TEMP TABLE touched_week_days AS
SELECT CAST(unnest(generate_series(week, week + INTERVAL 6 DAY, INTERVAL 1 DAY)) AS DATE) AS day
FROM (SELECT DISTINCT CAST(date_trunc('week', day) AS DATE) AS week FROM touched_days);

-- when: EXISTS (SELECT 1 FROM touched_days)
DELETE FROM topic_week
WHERE week IN (SELECT CAST(date_trunc('week', day) AS DATE) FROM touched_days);
-- when: EXISTS (SELECT 1 FROM touched_days)
INSERT INTO topic_week
SELECT CAST(date_trunc('week', day) AS DATE), topic, count(*), count(DISTINCT story_key.hi)
FROM mention_state
WHERE day IN (SELECT day FROM touched_week_days)
  AND decision = 'TopicMatched' AND discovered_at IS NOT NULL
GROUP BY 1, topic;
