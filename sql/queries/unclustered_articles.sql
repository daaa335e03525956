-- unclustered_articles: extracted articles not yet assigned to a story, in the order
-- they were discovered.
-- parameters: $method (the clustering method), $limit (at most this many)
-- columns: article_id, text, minhash
SELECT x.article_id, x.payload->>'text' AS text, x.payload->>'minhash' AS minhash
FROM events AS x
JOIN events AS d ON d.article_id = x.article_id AND d.type = 'ArticleDiscovered'
WHERE x.type = 'ArticleExtracted'
  AND (x.payload->>'minhash') IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events AS s
                  WHERE s.type = 'StoryClustered' AND s.article_id = x.article_id
                    AND (s.payload->>'method') = $method)
ORDER BY d.seq
LIMIT $limit;
