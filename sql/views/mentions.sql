-- mentions: article x topic, as the latest tagging decided (a TopicUnmatched from a
-- re-tag withdraws an earlier TopicMatched).
-- columns: article_id, topic, ruleset_version, score, snippet, terms (JSON list of
--          {term, field, start, end}), tagged_at, match_event_id, title, url, feed_id,
--          published, date_source, language, site, discovered_at
CREATE OR REPLACE VIEW mentions AS
WITH latest AS (
    SELECT article_id, topic,
           arg_max(type, seq) AS type,
           arg_max(payload, seq) AS payload,
           arg_max(occurred_at, seq) AS tagged_at,
           arg_max(event_id, seq) AS match_event_id
    FROM events
    WHERE type IN ('TopicMatched', 'TopicUnmatched')
    GROUP BY article_id, topic
)
SELECT l.article_id,
       l.topic,
       l.payload->>'ruleset_version' AS ruleset_version,
       (l.payload->>'score')::DOUBLE AS score,
       l.payload->>'snippet' AS snippet,
       l.payload->'terms' AS terms,
       l.tagged_at,
       l.match_event_id,
       a.title, a.url, a.feed_id, a.published, a.date_source, a.language, a.site,
       a.discovered_at
FROM latest AS l
JOIN articles AS a USING (article_id)
WHERE l.type = 'TopicMatched';
