-- plan_rechecks: matched articles due to be fetched again (NEWSMON_RECHECK): those whose
-- first fetch was $delays[stage] seconds ago or more, where stage counts the checks that
-- ended one (read, revised, or failed for the last time); never once taken down. Only
-- articles first read within the last delay and a week are looked at (an old article
-- matched by a re-tag is not checked again), so planning reads the recent pages only.
-- parameters: $delays (seconds, increasing), $now
-- columns: article_id, check_no (this check's number), tries (failed in this stage so far),
--          url, final_url, etag, last_modified (of the latest version read), title and
--          text (of the latest version), feed_published
WITH recent AS (
    SELECT * FROM article_pages
    WHERE read_at >= $now - to_seconds(list_max($delays)) - INTERVAL 7 DAY
), pages AS (
    SELECT p.article_key,
           coalesce(max(p.check_no), 0) AS checks,
           count(*) FILTER (WHERE p.type <> 'ArticleFetched'
                            AND (p.outcome IS DISTINCT FROM 'failed' OR p.final)) AS stage,
           coalesce(bool_or(p.type = 'ArticleRemoved'), false) AS removed,
           min(p.read_at) FILTER (WHERE p.type = 'ArticleFetched') AS first_read,
           max(p.seq) FILTER (WHERE p.type IN ('ArticleFetched', 'ArticleRevised')
                              OR p.outcome = 'unchanged') AS read_seq,
           max(p.seq) FILTER (WHERE p.type = 'ArticleRevised') AS revised_seq,
           max(p.seq) FILTER (WHERE p.type <> 'ArticleFetched'
                              AND (p.outcome IS DISTINCT FROM 'failed' OR p.final)) AS ended_seq
    FROM recent AS p
    WHERE p.article_key IN (SELECT article_key FROM mention_state WHERE decision = 'TopicMatched')
    GROUP BY p.article_key
)
SELECT a.article_id, p.checks + 1 AS check_no,
       (SELECT count(*) FROM recent AS f
        WHERE f.article_key = p.article_key AND f.outcome = 'failed'
          AND f.seq > coalesce(p.ended_seq, 0)) AS tries,
       a.url, r.final_url, r.etag, r.last_modified,
       coalesce(v.title, a.page_title) AS title, coalesce(v.text, a.text) AS text,
       a.feed_published
FROM pages AS p
JOIN article_state AS a ON a.key = p.article_key
LEFT JOIN recent AS r ON r.seq = p.read_seq
LEFT JOIN recent AS v ON v.seq = p.revised_seq
WHERE NOT p.removed AND a.extracted AND p.first_read IS NOT NULL
  AND p.stage < len($delays)
  AND p.first_read + to_seconds($delays[p.stage + 1]) <= $now
ORDER BY p.first_read, a.article_id;
