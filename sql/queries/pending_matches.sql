-- pending_matches: current matches on the given topics that no alert to this recipient
-- was decided for yet, oldest first.
-- parameters: $recipient, $topics (list of topic ids)
-- columns: those of the `matches` view, and found_by_retag (first matched by a re-tag)
SELECT m.*, c.found_by_retag
FROM mentions AS c
JOIN matches AS m USING (match_event_id)
WHERE list_contains($topics, c.topic)
  AND NOT EXISTS (
      SELECT 1 FROM alerted AS a
      WHERE a.recipient = $recipient AND a.article_id = c.article_id AND a.topic = c.topic)
ORDER BY m.tagged_at, m.article_id, m.topic;
