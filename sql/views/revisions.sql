-- revisions: what became of matched articles that were checked again after they were
-- read (NEWSMON_RECHECK, by default a day and a week after): each revision (its title or
-- text changed) and each removal (a 404 or 410, or a redirect to a home or section page).
-- The article's own row in `articles` keeps the text as first read; a revision's new
-- text is in `article_pages`.
-- columns: article_id, check_no, seen_at, change (revised, removed), reason (removals:
--          gone, redirected), status, title (as first read), new_title (revisions),
--          url, final_url, diff (JSON: title before and after, lines removed and added),
--          warc_record_id (the page as then read, in the archive)
CREATE OR REPLACE VIEW revisions AS
SELECT p.article_id, p.check_no, p.read_at AS seen_at,
       CASE p.type WHEN 'ArticleRevised' THEN 'revised' ELSE 'removed' END AS change,
       p.reason, p.status, a.title, p.title AS new_title, a.url, p.final_url, p.diff,
       p.warc_record_id
FROM article_pages AS p
LEFT JOIN article_state AS a ON a.key = p.article_key AND a.discovered_seq IS NOT NULL
WHERE p.type IN ('ArticleRevised', 'ArticleRemoved');
