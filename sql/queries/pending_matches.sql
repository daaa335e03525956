-- pending_matches: the matches of pending_mentions.sql (filled in below: what a
-- recipient wants that no alert to them was decided for yet) with their story's
-- outlets, oldest first.
-- parameters: those of pending_mentions
-- columns: those of the `matches` view, and found_by_retag (first matched by a re-tag)
SELECT m.match_event_id, m.article_id, m.topic, m.ruleset_version, m.score, m.snippet,
       CAST(m.terms AS VARCHAR) AS terms, m.rule, m.retag, m.tagged_at, m.title, m.url, m.site,
       m.feed_id, m.published, m.date_source, m.language, m.story_id,
       s.outlets AS story_outlets, m.found_by_retag
FROM ({pending}) AS m
LEFT JOIN story_state AS s ON s.story_key = m.story_key
ORDER BY m.tagged_at, m.article_id, m.topic;
