-- topic_weekly: each topic's volume per week (weeks start on Monday).
-- columns: week, topic, articles, stories (a story that runs several days counts once),
--          ingested, share (articles / ingested)
CREATE OR REPLACE VIEW topic_weekly AS
WITH ingested AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, sum(articles) AS articles
    FROM day_ingested GROUP BY 1
)
SELECT t.week, t.topic, t.articles, t.stories, i.articles AS ingested,
       t.articles / i.articles AS share
FROM topic_week AS t
LEFT JOIN ingested AS i USING (week);
