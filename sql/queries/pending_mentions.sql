-- pending_mentions: the current matches a recipient wants that no alert to them was
-- decided for yet, in no order: what `pending_matches` shows, and what `newsmon status`
-- counts (on a long log the count costs a third of what it costs with the story's
-- outlets joined and the rows sorted). What a recipient wants: their topics, languages,
-- feeds and minimum score; and, for an immediate alert, only what was matched at
-- ingestion (a match a re-tag found in an old article is news for digests only).
-- parameters: $recipient, $topics (list), $languages (list or NULL), $sources (feed ids,
--             list or NULL), $min_score (or NULL), $immediate (boolean)
-- columns: those of mention_state
-- (an anti join with the recipient's alert items, not NOT EXISTS: DuckDB decorrelated
-- that by grouping every match's article and topic first, 86 ms of a count of 500,000
-- matches with no alert item, 265 ms with 450,000; now 14 and 109 ms)
SELECT m.*
FROM mention_state AS m
ANTI JOIN (SELECT article_id, topic FROM alert_items WHERE recipient = $recipient) AS a
    ON a.article_id = m.article_id AND a.topic = m.topic
WHERE m.decision = 'TopicMatched' AND m.discovered_at IS NOT NULL
  AND list_contains($topics, m.topic)
  AND ($languages IS NULL OR list_contains($languages, m.language))
  AND ($sources IS NULL OR list_contains($sources, m.feed_id))
  AND ($min_score IS NULL OR coalesce(m.score, 0) >= $min_score)
  AND NOT ($immediate AND coalesce(m.found_by_retag, false))
