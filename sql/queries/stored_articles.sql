-- stored_articles: one page of the extracted articles, in the order they were
-- discovered, with the topics they match now and under which ruleset version.
-- parameters: $after (the discovered_seq the previous page ended on; 0 at first), $limit
-- columns: article_id, discovered_seq, title, text, matched (list of {topic, version})
WITH page AS (
    SELECT key, article_id, discovered_seq, title, text
    FROM article_state
    WHERE extracted AND discovered_seq > $after
    ORDER BY discovered_seq
    LIMIT $limit
)
SELECT p.article_id, p.discovered_seq, p.title, p.text,
       coalesce(list({'topic': m.topic, 'version': m.ruleset_version})
                FILTER (WHERE m.topic IS NOT NULL), []) AS matched
FROM page AS p
LEFT JOIN mention_state AS m ON m.article_key = p.key AND m.decision = 'TopicMatched'
GROUP BY p.article_id, p.discovered_seq, p.title, p.text
ORDER BY p.discovered_seq;
