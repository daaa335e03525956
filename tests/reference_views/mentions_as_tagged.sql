-- mentions_as_tagged: article x topic as tagged when the article came in, under the
-- rules of that day; later re-tags change nothing here. Compare with `mentions`
-- (the current rules) to see what a change of rules did to a trend.
-- columns: article_id, topic, ruleset_version, score, snippet, tagged_at,
--          match_event_id, title, url, feed_id, published, site, discovered_at, story_id, day
CREATE OR REPLACE VIEW mentions_as_tagged AS
WITH first_match AS (
    SELECT article_id, topic,
           arg_min(payload, seq) AS payload,
           min(occurred_at) AS tagged_at,
           arg_min(event_id, seq) AS match_event_id
    FROM events
    WHERE type = 'TopicMatched' AND NOT coalesce((payload->>'retag')::BOOLEAN, false)
    GROUP BY article_id, topic
)
SELECT f.article_id, f.topic,
       f.payload->>'ruleset_version' AS ruleset_version,
       (f.payload->>'score')::DOUBLE AS score,
       f.payload->>'snippet' AS snippet,
       f.tagged_at, f.match_event_id,
       a.title, a.url, a.feed_id, a.published, a.site, a.discovered_at, a.story_id, a.day
FROM first_match AS f
JOIN articles AS a USING (article_id);
