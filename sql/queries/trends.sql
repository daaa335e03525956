-- trends: articles per topic per day or week.
-- parameters: $by ('day' or 'week'), $since (DATE or NULL)
-- columns: period, topic, articles
SELECT CAST(CASE WHEN $by = 'week' THEN date_trunc('week', day) ELSE day END AS DATE) AS period,
       topic,
       sum(articles)::BIGINT AS articles
FROM daily_mentions
WHERE $since IS NULL OR day >= $since
GROUP BY ALL
ORDER BY period, topic;
