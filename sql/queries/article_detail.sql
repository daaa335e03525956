-- article_detail: one article as the articles view has it.
-- parameters: $article_id
-- columns: title, url, state, day, language, site, text
SELECT title, url, state, day, language, site, text FROM articles WHERE article_id = $article_id;
