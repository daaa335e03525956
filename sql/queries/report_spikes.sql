-- report_spikes: the spikes from $since to $until, each with the story that drove it
-- (the one with the most matching articles that day).
-- parameters: $since, $until (DATEs)
-- columns: day, topic, articles, baseline_mean, story, story_articles
WITH spikes AS (
    SELECT day, topic, articles, baseline_mean FROM topic_spikes
    WHERE day BETWEEN $since AND $until
), per_story AS (
    SELECT m.day, m.topic, coalesce(m.story_id, m.article_id) AS story,
           arg_min(m.title, coalesce(m.published, m.discovered_at)) AS title, count(*) AS n
    FROM mentions AS m
    JOIN spikes AS s ON s.day = m.day AND s.topic = m.topic
    GROUP BY ALL
)
SELECT s.day, s.topic, s.articles, s.baseline_mean,
       arg_max(p.title, p.n) AS story, max(p.n) AS story_articles
FROM spikes AS s
LEFT JOIN per_story AS p USING (day, topic)
GROUP BY ALL
ORDER BY s.day, s.topic;
