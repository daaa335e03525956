-- archived_articles: one page of the extracted articles whose fetched page the archive
-- kept, in the order they were fetched, with what extraction made of them last and the
-- topics they match now (for `newsmon reextract`).
-- parameters: $after (the seq the previous page ended on; 0 at first), $limit
-- columns: seq, article_id, warc_file, warc_offset, warc_record_id, url, feed_title,
--          feed_published, title, text, published, language (of the latest extraction),
--          matched (list of topics)
WITH page AS (
    SELECT seq, article_key, article_id, warc_file, warc_offset, warc_record_id
    FROM article_pages
    WHERE type = 'ArticleFetched' AND warc_record_id IS NOT NULL AND seq > $after
    ORDER BY seq
    LIMIT $limit
)
SELECT p.seq, p.article_id, p.warc_file, p.warc_offset, p.warc_record_id, a.url, a.feed_title,
       a.feed_published, a.page_title AS title, a.text, a.page_published AS published, a.language,
       coalesce(list(m.topic ORDER BY m.topic) FILTER (WHERE m.topic IS NOT NULL), []) AS matched
FROM page AS p
JOIN article_state AS a ON a.key = p.article_key AND a.extracted
LEFT JOIN mention_state AS m ON m.article_key = p.article_key AND m.decision = 'TopicMatched'
GROUP BY ALL
ORDER BY p.seq;
