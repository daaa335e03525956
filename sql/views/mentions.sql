-- mentions: article x topic as the latest tagging decided: a TopicUnmatched from a
-- re-tag withdraws an earlier TopicMatched, and a re-tag under new rules replaces it.
-- columns: article_id, topic, ruleset_version, score, snippet, terms (JSON list of
--          {term, field, start, end, found}), tagged_at, match_event_id,
--          found_by_retag (first matched by a re-tag of a stored article, not at
--          ingestion), title, url, feed_id, published, date_source, language, site,
--          discovered_at, story_id, day (see `articles`)
CREATE OR REPLACE VIEW mentions AS
SELECT article_id, topic, ruleset_version, score, snippet, terms, tagged_at, match_event_id,
       found_by_retag, title, url, feed_id, published, date_source, language, site,
       discovered_at, story_id, day
FROM mention_state
WHERE decision = 'TopicMatched' AND discovered_at IS NOT NULL;
