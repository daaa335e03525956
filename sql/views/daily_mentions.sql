-- daily_mentions: articles per topic per day, the day being the publication date where
-- known and the discovery date otherwise.
-- columns: day, topic, articles
CREATE OR REPLACE VIEW daily_mentions AS
SELECT CAST(coalesce(published, discovered_at) AS DATE) AS day,
       topic,
       count(*) AS articles
FROM mentions
GROUP BY ALL;
