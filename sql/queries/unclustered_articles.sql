-- unclustered_articles: extracted articles not yet put in a story by $method, in the
-- order they were discovered.
-- parameters: $method, $limit
-- columns: article_id, text, minhash
SELECT article_id, text, minhash
FROM article_state
WHERE extracted AND minhash IS NOT NULL AND discovered_seq IS NOT NULL
  AND NOT list_contains(story_methods, $method)
ORDER BY discovered_seq
LIMIT $limit;
