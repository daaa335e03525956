-- apply_4_matches: every new TopicMatched into match_log, the fields of the articles
-- touched given to their matches, and the outlets of the stories touched to theirs
-- (rows found by key alone first, see apply_1).

CREATE OR REPLACE TEMP TABLE match_rows AS
SELECT m.rowid AS row FROM match_log AS m WHERE m.article_key.hi IN (SELECT key.hi FROM touched);

-- the matches known before of the articles rewritten, and of those put in a story
-- when: EXISTS (SELECT 1 FROM match_rows) AND EXISTS (SELECT 1 FROM rewritten)
UPDATE match_log AS m SET
    title = a.title, url = a.url, site = a.site, feed_id = a.feed_id, published = a.published,
    date_source = a.date_source, language = a.language, discovered_at = a.discovered_at,
    story_id = coalesce(a.story_id, a.article_id), story_key = a.story_key
FROM after AS a
WHERE m.article_key = a.key AND a.key IN (SELECT key FROM rewritten)
  AND m.rowid >= coalesce((SELECT min(row) FROM match_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM match_rows) AND EXISTS (SELECT 1 FROM d_article WHERE n_story > 0)
UPDATE match_log AS m SET story_id = coalesce(a.story_id, a.article_id), story_key = a.story_key
FROM after AS a JOIN d_article AS d USING (key)
WHERE m.article_key = a.key AND d.n_story > 0 AND a.key NOT IN (SELECT key FROM rewritten)
  AND m.rowid >= coalesce((SELECT min(row) FROM match_rows), 9223372036854775807);

-- when: EXISTS (SELECT 1 FROM new_events WHERE type = 'TopicMatched')
INSERT INTO match_log
SELECT newsmon_key(e.event_id), e.event_id, newsmon_key(e.article_id), e.article_id, e.topic,
       e.payload->>'ruleset_version', TRY_CAST(e.payload->>'score' AS DOUBLE),
       e.payload->>'snippet', CAST(e.payload->'terms' AS VARCHAR), e.payload->>'rule',
       coalesce((e.payload->>'retag')::BOOLEAN, false), e.occurred_at,
       a.title, a.url, a.site, a.feed_id, a.published, a.date_source, a.language,
       a.discovered_at, coalesce(a.story_id, a.article_id), a.story_key, s.outlets
FROM new_events AS e
LEFT JOIN after AS a ON a.key = newsmon_key(e.article_id)
LEFT JOIN stories_after AS s ON s.story_key = a.story_key
WHERE e.type = 'TopicMatched';

CREATE OR REPLACE TEMP TABLE story_match_rows AS
SELECT m.rowid AS row FROM match_log AS m
WHERE m.story_key.hi IN (SELECT story_key.hi FROM touched_stories);

-- when: EXISTS (SELECT 1 FROM story_match_rows)
UPDATE match_log AS m SET story_outlets = s.outlets
FROM (SELECT t.story_key, s.outlets FROM touched_stories AS t
      LEFT JOIN stories_after AS s USING (story_key)) AS s
WHERE m.story_key = s.story_key AND m.rowid >= coalesce((SELECT min(row) FROM story_match_rows), 9223372036854775807);
