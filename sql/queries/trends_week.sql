-- trends_week: a topic's (or every topic's) weekly volume.
-- parameters: $topic (or NULL for all), $since (DATE or NULL)
-- columns: period, topic, articles, stories, share, mean_7d, mean_28d, spike
SELECT week AS period, topic, articles, stories, share,
       NULL::DOUBLE AS mean_7d, NULL::DOUBLE AS mean_28d, false AS spike
FROM topic_weekly
WHERE ($topic IS NULL OR topic = $topic) AND ($since IS NULL OR week >= $since)
ORDER BY week, topic;
