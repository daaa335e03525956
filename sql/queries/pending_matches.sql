-- pending_matches: current matches on the given topics that the recipient has not been
-- sent yet, and that did not fail for good, oldest first.
-- parameters: $recipient, $topics (list of topic ids)
-- columns: match_event_id, article_id, topic, title, url, site, feed_id, published,
--          date_source, snippet, score, terms (JSON text)
SELECT m.match_event_id, m.article_id, m.topic, m.title, m.url, m.site, m.feed_id,
       m.published, m.date_source, m.snippet, m.score, CAST(m.terms AS VARCHAR) AS terms
FROM mentions AS m
WHERE list_contains($topics, m.topic)
  AND m.match_event_id NOT IN (
      SELECT match_event_id FROM alerted WHERE recipient = $recipient)
ORDER BY m.tagged_at, m.article_id, m.topic;
