-- topic_cooccurrence: topics that the same articles match.
-- columns: topic_a, topic_b (topic_a < topic_b), articles, stories
CREATE OR REPLACE VIEW topic_cooccurrence AS
WITH current AS (
    SELECT article_key, topic, story_key FROM mention_state
    WHERE decision = 'TopicMatched' AND discovered_at IS NOT NULL
)
SELECT a.topic AS topic_a, b.topic AS topic_b,
       count(*) AS articles, count(DISTINCT a.story_key) AS stories
FROM current AS a
JOIN current AS b ON a.article_key = b.article_key AND a.topic < b.topic
GROUP BY 1, 2;
