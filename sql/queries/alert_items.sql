-- alert_items: what one decided alert is about, as its message will say it.
-- parameters: $alert_id
-- columns: those of the `matches` view, and found_by_retag
SELECT m.match_event_id, m.article_id, m.topic, m.ruleset_version, m.score, m.snippet,
       m.terms, m.rule, m.retag, m.tagged_at, m.title, m.url, m.site, m.feed_id, m.published,
       m.date_source, m.language, m.story_id, m.story_outlets, c.found_by_retag
FROM alert_items AS a
JOIN match_log AS m ON m.event_key = newsmon_key(a.match_event_id)
LEFT JOIN mention_state AS c ON c.key = newsmon_key(a.article_id || chr(31) || a.topic)
WHERE a.alert_id = $alert_id AND m.discovered_at IS NOT NULL
ORDER BY m.topic, m.tagged_at, m.article_id;
