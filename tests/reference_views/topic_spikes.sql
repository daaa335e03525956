-- topic_spikes: days on which a topic ran far above its own recent level: at least 3
-- articles, and more than 3 standard deviations over the mean of the 28 days before.
-- columns: day, topic, articles, baseline_mean, baseline_sd, z (standard deviations
--          above the baseline; NULL when the baseline never varied)
CREATE OR REPLACE VIEW topic_spikes AS
WITH scored AS (
    SELECT day, topic, articles,
           avg(articles) OVER before AS baseline_mean,
           coalesce(stddev_samp(articles) OVER before, 0) AS baseline_sd
    FROM topic_daily
    WINDOW before AS (PARTITION BY topic ORDER BY day ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)
)
SELECT day, topic, articles,
       coalesce(baseline_mean, 0) AS baseline_mean,
       baseline_sd,
       CASE WHEN baseline_sd > 0 THEN (articles - baseline_mean) / baseline_sd END AS z
FROM scored
WHERE articles >= 3 AND articles > coalesce(baseline_mean, 0) + 3 * baseline_sd;
