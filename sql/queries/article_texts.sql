-- article_texts: the extracted text of the given articles.
-- parameters: $ids (list of article ids)
-- columns: article_id, text
SELECT article_id, text
FROM article_state
WHERE key IN (SELECT newsmon_key(id) FROM unnest($ids) AS t(id)) AND extracted;
