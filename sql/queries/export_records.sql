-- export_records: the archived pages (each first fetch and each revision) of the
-- articles a selection names, in the order they were read (for `newsmon archive export`).
-- parameters: $topic (matched now, or NULL), $since, $until (days, or NULL),
--             $ids (article ids, or NULL)
-- columns: article_id, title, url, type, read_at, warc_file, warc_offset, warc_record_id
WITH chosen AS (
    SELECT a.key, a.article_id, a.title, a.url
    FROM article_state AS a
    WHERE a.discovered_seq IS NOT NULL
      AND ($since IS NULL OR a.day >= $since) AND ($until IS NULL OR a.day <= $until)
      AND ($ids IS NULL OR list_contains($ids, a.article_id))
      AND ($topic IS NULL OR a.key IN (SELECT article_key FROM mention_state
                                       WHERE topic = $topic AND decision = 'TopicMatched'))
)
SELECT c.article_id, c.title, c.url, p.type, p.read_at, p.warc_file, p.warc_offset,
       p.warc_record_id
FROM chosen AS c
JOIN article_pages AS p ON p.article_key = c.key
WHERE p.warc_record_id IS NOT NULL
ORDER BY p.seq;
