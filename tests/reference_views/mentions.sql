-- mentions: article x topic as the latest tagging decided: a TopicUnmatched from a
-- re-tag withdraws an earlier TopicMatched, and a re-tag under new rules replaces it.
-- columns: article_id, topic, ruleset_version, score, snippet, terms (JSON list of
--          {term, field, start, end, found}), tagged_at, match_event_id,
--          found_by_retag (first matched by a re-tag of a stored article, not at
--          ingestion), title, url, feed_id, published, date_source, language, site,
--          discovered_at, story_id, day (see `articles`)
CREATE OR REPLACE VIEW mentions AS
WITH decisions AS (
    SELECT article_id, topic,
           arg_max(type, seq) AS type,
           arg_max(payload, seq) AS payload,
           arg_max(occurred_at, seq) AS tagged_at,
           arg_max(event_id, seq) AS match_event_id,
           arg_min(coalesce((payload->>'retag')::BOOLEAN, false), seq)
               FILTER (WHERE type = 'TopicMatched') AS found_by_retag
    FROM events
    WHERE type IN ('TopicMatched', 'TopicUnmatched')
    GROUP BY article_id, topic
)
SELECT d.article_id,
       d.topic,
       d.payload->>'ruleset_version' AS ruleset_version,
       (d.payload->>'score')::DOUBLE AS score,
       d.payload->>'snippet' AS snippet,
       d.payload->'terms' AS terms,
       d.tagged_at,
       d.match_event_id,
       d.found_by_retag,
       a.title, a.url, a.feed_id, a.published, a.date_source, a.language, a.site,
       a.discovered_at, a.story_id, a.day
FROM decisions AS d
JOIN articles AS a USING (article_id)
WHERE d.type = 'TopicMatched';
