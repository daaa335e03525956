-- topic_cooccurrence: topics that the same articles match.
-- columns: topic_a, topic_b (topic_a < topic_b), articles, stories
CREATE OR REPLACE VIEW topic_cooccurrence AS
SELECT a.topic AS topic_a, b.topic AS topic_b,
       count(*) AS articles, count(DISTINCT a.story_id) AS stories
FROM mentions AS a
JOIN mentions AS b ON a.article_id = b.article_id AND a.topic < b.topic
GROUP BY 1, 2;
