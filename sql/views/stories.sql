-- stories: one row per story (an article and its copies in other outlets).
-- columns: story_id, title (of its first article), articles, outlets (list), first_day,
--          first_discovered_at, topics (list of topics its articles match now)
CREATE OR REPLACE VIEW stories AS
SELECT story_id, title, articles, outlets, first_day, first_discovered_at, topics
FROM story_state;
