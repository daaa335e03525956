-- trends_day: a topic's (or every topic's) daily volume, with rolling means and spikes.
-- parameters: $topic (or NULL for all), $since (DATE or NULL)
-- columns: period, topic, articles, stories, share, mean_7d, mean_28d, spike
SELECT d.day AS period, d.topic, d.articles, d.stories, d.share,
       d.articles_7d_mean AS mean_7d, d.articles_28d_mean AS mean_28d,
       s.day IS NOT NULL AS spike
FROM topic_daily AS d
LEFT JOIN topic_spikes AS s USING (day, topic)
WHERE ($topic IS NULL OR d.topic = $topic) AND ($since IS NULL OR d.day >= $since)
ORDER BY d.day, d.topic;
