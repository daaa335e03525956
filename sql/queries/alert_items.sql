-- alert_items: what one decided alert is about, as its message will say it.
-- parameters: $alert_id
-- columns: those of the `matches` view, found_by_retag, and, for an item telling of a
--          change (see pending_changes), change_event_id, change, change_reason,
--          change_status, new_title, new_url, diff (NULL for a match)
SELECT m.match_event_id, m.article_id, m.topic, m.ruleset_version, m.score, m.snippet,
       m.terms, m.rule, m.retag, coalesce(p.read_at, m.tagged_at) AS tagged_at, m.title, m.url,
       m.site, m.feed_id, m.published, m.date_source, m.language, m.story_id, m.story_outlets,
       c.found_by_retag, a.change_event_id,
       CASE p.type WHEN 'ArticleRevised' THEN 'revised' WHEN 'ArticleRemoved' THEN 'removed' END AS change,
       p.reason AS change_reason, p.status AS change_status, p.title AS new_title,
       p.final_url AS new_url, p.diff
FROM alert_items AS a
JOIN match_log AS m ON m.event_key = newsmon_key(a.match_event_id)
LEFT JOIN mention_state AS c ON c.key = newsmon_key(a.article_id || chr(31) || a.topic)
LEFT JOIN article_pages AS p ON a.change_event_id IS NOT NULL
                             AND p.article_key = newsmon_key(a.article_id)
                             AND p.event_id = a.change_event_id
WHERE a.alert_id = $alert_id AND m.discovered_at IS NOT NULL
ORDER BY m.topic, coalesce(p.read_at, m.tagged_at), m.article_id;
