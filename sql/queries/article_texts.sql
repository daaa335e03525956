-- article_texts: the extracted text of some articles.
-- parameters: $ids (list of article ids)
-- columns: article_id, text
SELECT article_id, payload->>'text' AS text
FROM events
WHERE type = 'ArticleExtracted' AND list_contains($ids, article_id);
