-- stored_articles: extracted articles with the topics they match now, a page at a time
-- (keyset pagination on article_id), for re-tagging and backtests.
-- parameters: $after (article_id to start after; '' for the first page), $limit
-- columns: article_id, title, text, matched (list of {topic, version} it matches now)
WITH page AS (
    SELECT article_id, title, text
    FROM articles
    WHERE state = 'extracted' AND article_id > $after
    ORDER BY article_id
    LIMIT $limit
)
SELECT p.article_id, p.title, p.text,
       coalesce(list({'topic': m.topic, 'version': m.ruleset_version})
                FILTER (WHERE m.topic IS NOT NULL), []) AS matched
FROM page AS p
LEFT JOIN mentions AS m USING (article_id)
GROUP BY p.article_id, p.title, p.text
ORDER BY p.article_id;
