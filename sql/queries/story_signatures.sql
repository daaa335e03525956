-- story_signatures: articles already in a story, discovered since a date, with their
-- signatures: the stories a new article may join.
-- parameters: $method, $since (TIMESTAMPTZ)
-- columns: article_id, story_id, minhash
SELECT s.article_id, s.payload->>'story_id' AS story_id, x.payload->>'minhash' AS minhash
FROM events AS s
JOIN events AS x ON x.article_id = s.article_id AND x.type = 'ArticleExtracted'
JOIN events AS d ON d.article_id = s.article_id AND d.type = 'ArticleDiscovered'
WHERE s.type = 'StoryClustered' AND (s.payload->>'method') = $method
  AND d.occurred_at >= $since AND (x.payload->>'minhash') IS NOT NULL;
