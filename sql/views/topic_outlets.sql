-- topic_outlets: which outlets carry each topic.
-- columns: topic, outlet (the site's name, or the feed id), feed_id, articles, stories,
--          first_day, last_day
CREATE OR REPLACE VIEW topic_outlets AS
SELECT topic, outlet, feed_id, articles, stories, first_day, last_day
FROM topic_outlet
WHERE articles > 0;
