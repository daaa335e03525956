-- report_latency: per topic, how soon the alerts sent from $since to $until told their
-- recipients, in minutes: median and 95th percentile from discovery and from publication.
-- parameters: $since, $until (DATEs)
-- columns: topic, alerts, from_discovery_median, from_discovery_p95, from_publication_median,
--          from_publication_p95
SELECT topic, count(*) AS alerts,
       median(minutes_from_discovery) AS from_discovery_median,
       quantile_cont(minutes_from_discovery, 0.95) AS from_discovery_p95,
       median(minutes_from_publication) AS from_publication_median,
       quantile_cont(minutes_from_publication, 0.95) AS from_publication_p95
FROM alert_latency
WHERE CAST(sent_at AS DATE) BETWEEN $since AND $until
GROUP BY topic
ORDER BY topic;
