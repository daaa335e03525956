-- pending_matches: current matches on the given topics that the recipient has had no
-- alert about (sent, or failed for good), oldest first. Matches a re-tag found in
-- articles stored earlier are left out: they are news about old articles.
-- parameters: $recipient, $topics (list of topic ids)
-- columns: match_event_id, article_id, topic, title, url, site, feed_id, published,
--          date_source, snippet, score, terms (JSON text)
SELECT m.match_event_id, m.article_id, m.topic, m.title, m.url, m.site, m.feed_id,
       m.published, m.date_source, m.snippet, m.score, CAST(m.terms AS VARCHAR) AS terms
FROM mentions AS m
WHERE list_contains($topics, m.topic)
  AND NOT m.found_by_retag
  AND NOT EXISTS (
      SELECT 1 FROM alerted AS a
      WHERE a.recipient = $recipient AND a.article_id = m.article_id AND a.topic = m.topic)
ORDER BY m.tagged_at, m.article_id, m.topic;
