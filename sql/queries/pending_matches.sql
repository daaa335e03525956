-- pending_matches: current matches a recipient wants that no alert to them was decided
-- for yet, oldest first. What a recipient wants: their topics, languages, feeds and
-- minimum score; and, for an immediate alert, only what was matched at ingestion (a
-- match a re-tag found in an old article is news for digests only).
-- parameters: $recipient, $topics (list), $languages (list or NULL), $sources (feed ids,
--             list or NULL), $min_score (or NULL), $immediate (boolean)
-- columns: those of the `matches` view, and found_by_retag (first matched by a re-tag)
SELECT m.match_event_id, m.article_id, m.topic, m.ruleset_version, m.score, m.snippet,
       CAST(m.terms AS VARCHAR) AS terms, m.rule, m.retag, m.tagged_at, m.title, m.url, m.site,
       m.feed_id, m.published, m.date_source, m.language, m.story_id,
       s.outlets AS story_outlets, m.found_by_retag
FROM mention_state AS m
LEFT JOIN story_state AS s ON s.story_key = m.story_key
WHERE m.decision = 'TopicMatched' AND m.discovered_at IS NOT NULL
  AND list_contains($topics, m.topic)
  AND ($languages IS NULL OR list_contains($languages, m.language))
  AND ($sources IS NULL OR list_contains($sources, m.feed_id))
  AND ($min_score IS NULL OR coalesce(m.score, 0) >= $min_score)
  AND NOT ($immediate AND coalesce(m.found_by_retag, false))
  AND NOT EXISTS (SELECT 1 FROM alert_items AS a
                  WHERE a.recipient = $recipient AND a.article_id = m.article_id
                    AND a.topic = m.topic)
ORDER BY m.tagged_at, m.article_id, m.topic;
