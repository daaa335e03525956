-- source_daily: articles discovered per day, by the country and kind of the outlet whose
-- feed listed them (as the feeds file describes it now); 'unknown' where it does not say.
-- columns: day, country, kind, feeds (that brought articles that day), articles
CREATE OR REPLACE VIEW source_daily AS
SELECT d.day, coalesce(s.country, 'unknown') AS country, coalesce(s.kind, 'unknown') AS kind,
       count(DISTINCT d.feed_id) AS feeds, sum(d.articles) AS articles
FROM feed_daily AS d
LEFT JOIN feed_source AS s USING (feed_id)
GROUP BY ALL;
