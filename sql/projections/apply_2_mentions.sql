-- apply_2_mentions: fold TopicMatched / TopicUnmatched into mention_state (article x
-- topic: the latest decision, the first match made at ingestion), then refresh the
-- article's fields on the rows of every article these events touched.

CREATE OR REPLACE TEMP TABLE d_mention AS
SELECT newsmon_key(article_id || chr(31) || topic) AS key, article_id, topic,
       arg_max(type, seq) AS decision,
       arg_max(payload, seq) AS latest,
       arg_max(occurred_at, seq) AS tagged_at,
       arg_max(event_id, seq) AS match_event_id,
       arg_min(coalesce((payload->>'retag')::BOOLEAN, false), seq)
           FILTER (WHERE type = 'TopicMatched') AS found_by_retag,
       arg_min(payload, seq) FILTER (WHERE type = 'TopicMatched'
                                     AND NOT coalesce((payload->>'retag')::BOOLEAN, false)) AS first,
       min(occurred_at) FILTER (WHERE type = 'TopicMatched'
                                AND NOT coalesce((payload->>'retag')::BOOLEAN, false)) AS first_tagged_at,
       arg_min(event_id, seq) FILTER (WHERE type = 'TopicMatched'
                                      AND NOT coalesce((payload->>'retag')::BOOLEAN, false)) AS first_match_event_id
FROM new_events
WHERE type IN ('TopicMatched', 'TopicUnmatched')
GROUP BY article_id, topic;

UPDATE mention_state AS m SET
    decision = d.decision,
    ruleset_version = d.latest->>'ruleset_version',
    score = TRY_CAST(d.latest->>'score' AS DOUBLE),
    snippet = d.latest->>'snippet',
    terms = d.latest->'terms',
    rule = d.latest->>'rule',
    retag = coalesce((d.latest->>'retag')::BOOLEAN, false),
    tagged_at = d.tagged_at,
    match_event_id = d.match_event_id,
    found_by_retag = coalesce(m.found_by_retag, d.found_by_retag),
    first_ruleset_version = CASE WHEN m.first_match_event_id IS NULL THEN d.first->>'ruleset_version' ELSE m.first_ruleset_version END,
    first_score = CASE WHEN m.first_match_event_id IS NULL THEN TRY_CAST(d.first->>'score' AS DOUBLE) ELSE m.first_score END,
    first_snippet = CASE WHEN m.first_match_event_id IS NULL THEN d.first->>'snippet' ELSE m.first_snippet END,
    first_tagged_at = least(m.first_tagged_at, d.first_tagged_at),
    first_match_event_id = coalesce(m.first_match_event_id, d.first_match_event_id)
FROM d_mention AS d
WHERE m.key = d.key;

INSERT INTO mention_state (
    key, article_key, article_id, topic, decision, ruleset_version, score, snippet, terms, rule,
    retag, tagged_at, match_event_id, found_by_retag, first_ruleset_version, first_score,
    first_snippet, first_tagged_at, first_match_event_id)
SELECT d.key, newsmon_key(d.article_id), d.article_id, d.topic, d.decision,
       d.latest->>'ruleset_version', TRY_CAST(d.latest->>'score' AS DOUBLE), d.latest->>'snippet',
       d.latest->'terms', d.latest->>'rule', coalesce((d.latest->>'retag')::BOOLEAN, false),
       d.tagged_at, d.match_event_id, d.found_by_retag,
       d.first->>'ruleset_version', TRY_CAST(d.first->>'score' AS DOUBLE), d.first->>'snippet',
       d.first_tagged_at, d.first_match_event_id
FROM d_mention AS d
WHERE NOT EXISTS (SELECT 1 FROM mention_state AS m WHERE m.key = d.key);

UPDATE mention_state AS m SET
    title = a.title, url = a.url, feed_id = a.feed_id, published = a.published,
    date_source = a.date_source, language = a.language, site = a.site,
    discovered_at = a.discovered_at, story_id = coalesce(a.story_id, a.article_id),
    story_key = a.story_key, day = a.day
FROM (SELECT * FROM article_state SEMI JOIN touched USING (key)) AS a
WHERE m.article_key = a.key;
