-- story_signatures: articles put in a story by $method, discovered since $since, with
-- their story and MinHash signature (the candidates a new copy may join).
-- parameters: $method, $since
-- columns: article_id, story_id, minhash
SELECT article_id, story_id, minhash
FROM article_state
WHERE discovered_at >= $since AND list_contains(story_methods, $method)
  AND extracted AND minhash IS NOT NULL;
