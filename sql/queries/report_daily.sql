-- report_daily: each topic's daily volume from $since to $until, with what was ingested
-- those days (to work out shares when days are summed into weeks or months).
-- parameters: $since, $until (DATEs)
-- columns: period, topic, articles, stories, ingested, share, mean_7d, spike
SELECT d.day AS period, d.topic, d.articles, d.stories, d.ingested, d.share,
       d.articles_7d_mean AS mean_7d, s.day IS NOT NULL AS spike
FROM topic_daily AS d
LEFT JOIN topic_spikes AS s USING (day, topic)
WHERE d.day BETWEEN $since AND $until
ORDER BY d.day, d.topic;
