-- topic_weekly: each topic's volume per week (weeks start on Monday).
-- columns: week, topic, articles, stories (a story that runs several days counts once),
--          ingested, share (articles / ingested)
CREATE OR REPLACE VIEW topic_weekly AS
WITH ingested AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, sum(articles) AS articles
    FROM day_ingested GROUP BY 1
)
SELECT CAST(date_trunc('week', m.day) AS DATE) AS week,
       m.topic,
       count(*) AS articles,
       count(DISTINCT m.story_key.hi) AS stories,
       any_value(i.articles) AS ingested,
       count(*) / any_value(i.articles) AS share
FROM mention_state AS m
LEFT JOIN ingested AS i ON i.week = CAST(date_trunc('week', m.day) AS DATE)
WHERE m.decision = 'TopicMatched' AND m.discovered_at IS NOT NULL
GROUP BY 1, 2;
