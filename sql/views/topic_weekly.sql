-- topic_weekly: each topic's volume per week (weeks start on Monday).
-- columns: week, topic, articles, stories (a story that runs several days counts once),
--          ingested, share (articles / ingested)
CREATE OR REPLACE VIEW topic_weekly AS
SELECT t.week, t.topic, t.articles, t.stories, i.articles AS ingested,
       t.articles / i.articles AS share
FROM topic_week AS t
LEFT JOIN week_ingested AS i USING (week)
WHERE t.articles > 0;
