-- topic_daily: each topic's volume per day, with every day from its first match to the
-- last day anything was ingested (quiet days are rows of zeros, not gaps).
-- columns: day, topic, articles, stories (copies of one wire story count once),
--          articles_as_tagged (under the rules of the day, see `mentions_as_tagged`),
--          ingested, ingested_stories (everything that day, matching or not),
--          share (articles / ingested: a quiet news day is not a quiet topic),
--          articles_7d_mean, articles_28d_mean, stories_7d_mean, stories_28d_mean
CREATE OR REPLACE VIEW topic_daily AS
WITH calendar AS (
    SELECT topic,
           CAST(unnest(generate_series(first_day, (SELECT max(day) FROM day_ingested),
                                       INTERVAL 1 DAY)) AS DATE) AS day
    FROM (SELECT topic, min(day) AS first_day FROM topic_day WHERE articles > 0 GROUP BY topic)
)
SELECT c.day,
       c.topic,
       coalesce(t.articles, 0) AS articles,
       coalesce(t.stories, 0) AS stories,
       coalesce(t.articles_as_tagged, 0) AS articles_as_tagged,
       coalesce(i.articles, 0) AS ingested,
       coalesce(i.stories, 0) AS ingested_stories,
       CASE WHEN coalesce(i.articles, 0) > 0 THEN coalesce(t.articles, 0) / i.articles ELSE 0 END AS share,
       avg(coalesce(t.articles, 0)) OVER last_7 AS articles_7d_mean,
       avg(coalesce(t.articles, 0)) OVER last_28 AS articles_28d_mean,
       avg(coalesce(t.stories, 0)) OVER last_7 AS stories_7d_mean,
       avg(coalesce(t.stories, 0)) OVER last_28 AS stories_28d_mean
FROM calendar AS c
LEFT JOIN topic_day AS t USING (day, topic)
LEFT JOIN day_ingested AS i USING (day)
WINDOW last_7 AS (PARTITION BY c.topic ORDER BY c.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW),
       last_28 AS (PARTITION BY c.topic ORDER BY c.day ROWS BETWEEN 27 PRECEDING AND CURRENT ROW);
