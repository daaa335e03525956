-- apply_10_pages: each successful fetch of an article, and each check of it later, into
-- article_pages.

INSERT INTO article_pages
SELECT event_id, seq, newsmon_key(article_id), article_id, type,
       TRY_CAST(payload->>'check' AS INTEGER), occurred_at, TRY_CAST(payload->>'status' AS INTEGER),
       payload->>'url', payload->>'final_url', payload->>'etag', payload->>'last_modified',
       payload->>'content_sha256', payload->>'warc_file',
       TRY_CAST(payload->>'warc_offset' AS BIGINT), payload->>'warc_record_id',
       payload->>'outcome', TRY_CAST(payload->>'final' AS BOOLEAN), payload->>'error_class',
       payload->>'detail', payload->>'reason', payload->>'title_before', payload->>'title',
       payload->>'text', CAST(payload->'diff' AS VARCHAR)
FROM new_events
WHERE type IN ('ArticleFetched', 'ArticleRechecked', 'ArticleRevised', 'ArticleRemoved');
