-- archived_pages: the first fetches whose page the archive kept (what `newsmon
-- reextract` reads again; counted for its progress).
-- columns: seq, article_id
SELECT seq, article_id FROM article_pages
WHERE type = 'ArticleFetched' AND warc_record_id IS NOT NULL;
