-- topic_weekly: each topic's volume per week (weeks start on Monday).
-- columns: week, topic, articles, stories (a story that runs several days counts once),
--          ingested, share (articles / ingested)
CREATE OR REPLACE VIEW topic_weekly AS
WITH ingested AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, count(*) AS articles
    FROM articles WHERE state = 'extracted' GROUP BY week
)
SELECT CAST(date_trunc('week', m.day) AS DATE) AS week,
       m.topic,
       count(*) AS articles,
       count(DISTINCT m.story_id) AS stories,
       any_value(i.articles) AS ingested,
       count(*) / any_value(i.articles) AS share
FROM mentions AS m
LEFT JOIN ingested AS i ON i.week = CAST(date_trunc('week', m.day) AS DATE)
GROUP BY 1, 2;
