-- apply_2_mentions: fold TopicMatched / TopicUnmatched into mention_state (article x
-- topic: the latest decision, the first match made at ingestion), and give the rows of
-- every article touched its fields as apply_1 left them.

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

-- the rows of the articles touched, found by key alone (see apply_1)
CREATE OR REPLACE TEMP TABLE mention_rows AS
SELECT m.rowid AS row FROM mention_state AS m WHERE m.article_key.hi IN (SELECT key.hi FROM touched);

-- the mentions these events decide on, as they were
CREATE OR REPLACE TEMP TABLE mentions_before AS
SELECT m.key, m.found_by_retag, m.first_match_event_id, m.first_tagged_at
FROM mention_state AS m SEMI JOIN d_mention AS d ON m.key = d.key
WHERE m.rowid >= coalesce((SELECT min(row) FROM mention_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM mentions_before)
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
    found_by_retag = coalesce(b.found_by_retag, d.found_by_retag),
    first_match_event_id = coalesce(b.first_match_event_id, d.first_match_event_id),
    first_tagged_at = least(b.first_tagged_at, d.first_tagged_at)
FROM d_mention AS d JOIN mentions_before AS b USING (key)
WHERE m.key = d.key AND m.rowid >= coalesce((SELECT min(row) FROM mention_rows), 9223372036854775807);

-- the first match's fields, where these events brought the first one
-- when: EXISTS (SELECT 1 FROM mentions_before WHERE first_match_event_id IS NULL)
UPDATE mention_state AS m SET
    first_ruleset_version = d.first->>'ruleset_version',
    first_score = TRY_CAST(d.first->>'score' AS DOUBLE),
    first_snippet = d.first->>'snippet'
FROM d_mention AS d JOIN mentions_before AS b USING (key)
WHERE m.key = d.key AND b.first_match_event_id IS NULL AND d.first IS NOT NULL
  AND m.rowid >= coalesce((SELECT min(row) FROM mention_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM d_mention)
INSERT INTO mention_state
SELECT d.key, newsmon_key(d.article_id), d.article_id, d.topic, d.decision,
       d.latest->>'ruleset_version', TRY_CAST(d.latest->>'score' AS DOUBLE), d.latest->>'snippet',
       d.latest->'terms', d.latest->>'rule', coalesce((d.latest->>'retag')::BOOLEAN, false),
       d.tagged_at, d.match_event_id, d.found_by_retag,
       d.first->>'ruleset_version', TRY_CAST(d.first->>'score' AS DOUBLE), d.first->>'snippet',
       d.first_tagged_at, d.first_match_event_id,
       a.title, a.url, a.feed_id, a.published, a.date_source, a.language, a.site,
       a.discovered_at, coalesce(a.story_id, a.article_id), a.story_key, a.day
FROM d_mention AS d
LEFT JOIN after AS a ON a.key = newsmon_key(d.article_id)
WHERE d.key NOT IN (SELECT key FROM mentions_before);

-- the mentions known before of the articles rewritten (their fields may have changed),
-- and of the articles put in a story
-- when: EXISTS (SELECT 1 FROM mention_rows) AND EXISTS (SELECT 1 FROM rewritten)
UPDATE mention_state AS m SET
    title = a.title, url = a.url, feed_id = a.feed_id, published = a.published,
    date_source = a.date_source, language = a.language, site = a.site,
    discovered_at = a.discovered_at, story_id = coalesce(a.story_id, a.article_id),
    story_key = a.story_key, day = a.day
FROM after AS a
WHERE m.article_key = a.key AND a.key IN (SELECT key FROM rewritten)
  AND m.key NOT IN (SELECT key FROM d_mention WHERE key NOT IN (SELECT key FROM mentions_before))
  AND m.rowid >= coalesce((SELECT min(row) FROM mention_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM mention_rows) AND EXISTS (SELECT 1 FROM d_article WHERE n_story > 0)
UPDATE mention_state AS m SET story_id = coalesce(a.story_id, a.article_id), story_key = a.story_key
FROM after AS a JOIN d_article AS d USING (key)
WHERE m.article_key = a.key AND d.n_story > 0 AND a.key NOT IN (SELECT key FROM rewritten)
  AND m.rowid >= coalesce((SELECT min(row) FROM mention_rows), 9223372036854775807);
