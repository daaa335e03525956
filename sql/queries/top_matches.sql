-- top_matches: the strongest current matches of each topic.
-- parameters: $per_topic
-- columns: topic, title, site, feed_id, published, date_source, score, snippet, url
-- (the rows are ranked on their narrow columns alone, then only the winners' are read
-- whole, by rowid: ranking the whole rows of a long log's half a million matches took
-- 0.5 s)
WITH best AS (
    SELECT rowid AS row FROM mention_state
    WHERE decision = 'TopicMatched' AND discovered_at IS NOT NULL  -- as the view `mentions`
    QUALIFY row_number() OVER (
        PARTITION BY topic ORDER BY score DESC, published DESC NULLS LAST, article_id) <= $per_topic
)
SELECT topic, title, site, feed_id, published, date_source, score, snippet, url
FROM mention_state
WHERE rowid IN (SELECT row FROM best)
ORDER BY topic, score DESC, published DESC NULLS LAST, article_id;
