-- topic_cooccurrence: topics that the same articles match.
-- columns: topic_a, topic_b (topic_a < topic_b), articles, stories
CREATE OR REPLACE VIEW topic_cooccurrence AS
SELECT topic_a, topic_b, articles, stories
FROM topic_pair
WHERE articles > 0;
