-- report_topics: per topic, its matching articles published from $since to $until, the
-- stories and outlets they make, and the outlets by how much they carried.
-- parameters: $since, $until (DATEs)
-- columns: topic, articles, stories, outlets (list of {outlet, articles, stories}, most first)
WITH m AS (
    SELECT topic, article_id, coalesce(story_id, article_id) AS story_id,
           coalesce(site, feed_id) AS outlet
    FROM mentions
    WHERE day BETWEEN $since AND $until
), per_outlet AS (
    SELECT topic, outlet, count(*) AS articles, count(DISTINCT story_id) AS stories
    FROM m GROUP BY topic, outlet
)
SELECT t.topic, t.articles, t.stories,
       (SELECT list({'outlet': o.outlet, 'articles': o.articles, 'stories': o.stories}
                    ORDER BY o.articles DESC, o.stories DESC, o.outlet)
        FROM per_outlet AS o WHERE o.topic = t.topic) AS outlets
FROM (SELECT topic, count(*) AS articles, count(DISTINCT story_id) AS stories FROM m GROUP BY topic) AS t
ORDER BY t.topic;
