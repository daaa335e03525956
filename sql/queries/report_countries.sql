-- report_countries: per topic, the countries its matching articles (published from
-- $since to $until) name in their title or text, by how many articles name each.
-- parameters: $since, $until (DATEs)
-- filled in: named, the list of the countries `words` names (trends/countries.py, named_in)
-- columns: topic, country, articles
WITH m AS (
    SELECT m.topic, m.article_id, coalesce(a.title, '') || ' ' || coalesce(a.text, '') AS words
    FROM mentions AS m JOIN articles AS a USING (article_id)
    WHERE m.day BETWEEN $since AND $until
), named AS (
    SELECT topic, article_id, unnest({named}) AS country FROM m
)
SELECT topic, country, count(DISTINCT article_id) AS articles
FROM named
GROUP BY ALL
ORDER BY topic, articles DESC, country;
