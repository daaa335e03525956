-- pending_matches: current matches on the given topics that no alert to this recipient
-- was decided for yet, oldest first.
-- parameters: $recipient, $topics (list of topic ids)
-- columns: those of the `matches` view, and found_by_retag (first matched by a re-tag)
SELECT m.match_event_id, m.article_id, m.topic, m.ruleset_version, m.score, m.snippet,
       CAST(m.terms AS VARCHAR) AS terms, m.rule, m.retag, m.tagged_at, m.title, m.url, m.site,
       m.feed_id, m.published, m.date_source, m.language, m.story_id,
       s.outlets AS story_outlets, m.found_by_retag
FROM mention_state AS m
LEFT JOIN story_state AS s ON s.story_key = m.story_key
WHERE m.decision = 'TopicMatched' AND m.discovered_at IS NOT NULL
  AND list_contains($topics, m.topic)
  AND NOT EXISTS (SELECT 1 FROM alert_items AS a
                  WHERE a.recipient = $recipient AND a.article_id = m.article_id
                    AND a.topic = m.topic)
ORDER BY m.tagged_at, m.article_id, m.topic;
