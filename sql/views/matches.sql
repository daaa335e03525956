-- matches: every TopicMatched, with what an alert says about it: the article, its
-- story and the outlets that carry that story.
-- columns: match_event_id, article_id, topic, ruleset_version, score, snippet, terms
--          (JSON text), rule, retag (found by a re-tag), tagged_at, title, url, site,
--          feed_id, published, date_source, language, story_id, story_outlets (list)
CREATE OR REPLACE VIEW matches AS
SELECT match_event_id, article_id, topic, ruleset_version, score, snippet, terms, rule, retag,
       tagged_at, title, url, site, feed_id, published, date_source, language, story_id,
       story_outlets
FROM match_log
WHERE discovered_at IS NOT NULL;
