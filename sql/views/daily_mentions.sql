-- daily_mentions: articles per topic per day, under the current rules (`mentions`) and
-- as tagged when they came in (`mentions_as_tagged`); the day is the publication date
-- where known and the discovery date otherwise.
-- columns: day, topic, articles, articles_as_tagged
CREATE OR REPLACE VIEW daily_mentions AS
WITH current AS (
    SELECT CAST(coalesce(published, discovered_at) AS DATE) AS day, topic, count(*) AS n
    FROM mentions GROUP BY ALL
), as_tagged AS (
    SELECT CAST(coalesce(published, discovered_at) AS DATE) AS day, topic, count(*) AS n
    FROM mentions_as_tagged GROUP BY ALL
)
SELECT day, topic, coalesce(c.n, 0) AS articles, coalesce(t.n, 0) AS articles_as_tagged
FROM current AS c FULL JOIN as_tagged AS t USING (day, topic);
