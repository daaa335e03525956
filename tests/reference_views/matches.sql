-- matches: every TopicMatched, with what an alert says about it: the article, its
-- story and the outlets that carry that story.
-- columns: match_event_id, article_id, topic, ruleset_version, score, snippet, terms
--          (JSON text), rule, retag (found by a re-tag), tagged_at, title, url, site,
--          feed_id, published, date_source, language, story_id, story_outlets (list)
CREATE OR REPLACE VIEW matches AS
SELECT e.event_id AS match_event_id,
       e.article_id,
       e.topic,
       e.payload->>'ruleset_version' AS ruleset_version,
       (e.payload->>'score')::DOUBLE AS score,
       e.payload->>'snippet' AS snippet,
       CAST(e.payload->'terms' AS VARCHAR) AS terms,
       e.payload->>'rule' AS rule,
       coalesce((e.payload->>'retag')::BOOLEAN, false) AS retag,
       e.occurred_at AS tagged_at,
       a.title, a.url, a.site, a.feed_id, a.published, a.date_source, a.language, a.story_id,
       s.outlets AS story_outlets
FROM events AS e
JOIN articles AS a USING (article_id)
LEFT JOIN stories AS s USING (story_id)
WHERE e.type = 'TopicMatched';
