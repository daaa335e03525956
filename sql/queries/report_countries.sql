-- report_countries: per topic, the countries its matching articles (published from
-- $since to $until) name in their title or text, by how many articles name each.
-- parameters: $since, $until (DATEs), $countries (list of {name, pattern}: trends/countries.py)
-- columns: topic, country, articles
WITH m AS (
    SELECT m.topic, m.article_id, coalesce(a.title, '') || ' ' || coalesce(a.text, '') AS words
    FROM mentions AS m JOIN articles AS a USING (article_id)
    WHERE m.day BETWEEN $since AND $until
)
SELECT m.topic, c.name AS country, count(DISTINCT m.article_id) AS articles
FROM m, (SELECT unnest($countries) AS c)
WHERE regexp_matches(m.words, c.pattern)
GROUP BY ALL
ORDER BY m.topic, articles DESC, country;
