-- apply_3_matches: every new TopicMatched into match_log, then the article's fields
-- refreshed on the matches of every article these events touched.

INSERT INTO match_log (event_key, match_event_id, article_key, article_id, topic, ruleset_version,
                       score, snippet, terms, rule, retag, tagged_at)
SELECT newsmon_key(event_id), event_id, newsmon_key(article_id), article_id, topic, payload->>'ruleset_version',
       TRY_CAST(payload->>'score' AS DOUBLE), payload->>'snippet',
       CAST(payload->'terms' AS VARCHAR), payload->>'rule',
       coalesce((payload->>'retag')::BOOLEAN, false), occurred_at
FROM new_events
WHERE type = 'TopicMatched';

UPDATE match_log AS m SET
    title = a.title, url = a.url, site = a.site, feed_id = a.feed_id, published = a.published,
    date_source = a.date_source, language = a.language, discovered_at = a.discovered_at,
    story_id = coalesce(a.story_id, a.article_id), story_key = a.story_key
FROM (SELECT * FROM article_state SEMI JOIN touched USING (key)) AS a
WHERE m.article_key = a.key;
