-- revisions, replaying the log: each ArticleRevised and ArticleRemoved, with the
-- article's title and URL as the articles view gives them.
CREATE OR REPLACE VIEW revisions AS
SELECT e.article_id, CAST(e.payload->>'check' AS INTEGER) AS check_no, e.occurred_at AS seen_at,
       CASE e.type WHEN 'ArticleRevised' THEN 'revised' ELSE 'removed' END AS change,
       e.payload->>'reason' AS reason, CAST(e.payload->>'status' AS INTEGER) AS status,
       a.title, e.payload->>'title' AS new_title, a.url, e.payload->>'final_url' AS final_url,
       CAST(e.payload->'diff' AS VARCHAR) AS diff, e.payload->>'warc_record_id' AS warc_record_id
FROM events AS e
LEFT JOIN articles AS a USING (article_id)
WHERE e.type IN ('ArticleRevised', 'ArticleRemoved');
