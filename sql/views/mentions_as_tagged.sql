-- mentions_as_tagged: article x topic as tagged when the article came in, under the
-- rules of that day; later re-tags change nothing here. Compare with `mentions`
-- (the current rules) to see what a change of rules did to a trend.
-- columns: article_id, topic, ruleset_version, score, snippet, tagged_at,
--          match_event_id, title, url, feed_id, published, site, discovered_at, story_id, day
CREATE OR REPLACE VIEW mentions_as_tagged AS
SELECT article_id, topic, first_ruleset_version AS ruleset_version, first_score AS score,
       first_snippet AS snippet, first_tagged_at AS tagged_at,
       first_match_event_id AS match_event_id, title, url, feed_id, published, site,
       discovered_at, story_id, day
FROM mention_state
WHERE first_match_event_id IS NOT NULL AND discovered_at IS NOT NULL;
