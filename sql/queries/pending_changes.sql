-- pending_changes: revisions and removals (see the `revisions` view) of articles a
-- recipient was alerted about, in topics they still follow, that no alert told them of
-- yet, oldest first (for recipients with `changes: true`).
-- parameters: $recipient, $topics (list)
-- columns: those of pending_matches (the match they were told of; tagged_at: when the
--          change was seen), and change_event_id, change (revised, removed),
--          change_reason, change_status, new_title, new_url, diff (JSON)
WITH told AS (
    SELECT article_id, arg_min(match_event_id, decided_at) AS match_event_id
    FROM alert_items
    WHERE recipient = $recipient AND change_event_id IS NULL AND list_contains($topics, topic)
    GROUP BY article_id
)
SELECT m.match_event_id, m.article_id, m.topic, m.ruleset_version, m.score, m.snippet,
       m.terms, m.rule, m.retag, p.read_at AS tagged_at, m.title, m.url, m.site, m.feed_id,
       m.published, m.date_source, m.language, m.story_id, m.story_outlets,
       false AS found_by_retag, p.event_id AS change_event_id,
       CASE p.type WHEN 'ArticleRevised' THEN 'revised' ELSE 'removed' END AS change,
       p.reason AS change_reason, p.status AS change_status, p.title AS new_title,
       p.final_url AS new_url, p.diff
FROM told AS t
JOIN article_pages AS p ON p.article_key = newsmon_key(t.article_id)
JOIN match_log AS m ON m.event_key = newsmon_key(t.match_event_id)
WHERE p.type IN ('ArticleRevised', 'ArticleRemoved')
  AND NOT EXISTS (SELECT 1 FROM alert_items AS a
                  WHERE a.recipient = $recipient AND a.change_event_id = p.event_id)
ORDER BY p.read_at, p.article_id;
