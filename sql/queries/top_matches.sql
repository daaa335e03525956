-- top_matches: the strongest current matches of each topic.
-- parameters: $per_topic
-- columns: topic, title, site, feed_id, published, date_source, score, snippet, url
SELECT topic, title, site, feed_id, published, date_source, score, snippet, url
FROM mentions
QUALIFY row_number() OVER (
    PARTITION BY topic ORDER BY score DESC, published DESC NULLS LAST, article_id) <= $per_topic
ORDER BY topic, score DESC, published DESC NULLS LAST, article_id;
