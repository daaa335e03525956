-- report_mentions: the matching articles published from $since to $until, for the
-- outlets, countries and topics-together tables of the report and its CSV.
-- parameters: $since, $until (DATEs)
-- columns: day, topic, article_id, story_id, title, url, outlet, feed_id, language, score
SELECT day, topic, article_id, coalesce(story_id, article_id) AS story_id, title, url,
       coalesce(site, feed_id) AS outlet, feed_id, language, score
FROM mentions
WHERE day BETWEEN $since AND $until
ORDER BY day, topic, article_id;
