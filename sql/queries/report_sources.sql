-- report_sources: the articles discovered from $since to $until by the country and kind
-- of the outlets that listed them, with the feeds described for each (some may have
-- brought nothing) and whether the country went quiet (country_health).
-- parameters: $since, $until (DATEs)
-- columns: country, kind, feeds, articles, quiet
WITH described AS (
    SELECT coalesce(country, 'unknown') AS country, coalesce(kind, 'unknown') AS kind,
           count(*) AS feeds
    FROM sources GROUP BY ALL
), brought AS (
    SELECT country, kind, sum(articles) AS articles
    FROM source_daily WHERE day BETWEEN $since AND $until GROUP BY ALL
)
SELECT country, kind, coalesce(d.feeds, 0) AS feeds, coalesce(b.articles, 0) AS articles,
       coalesce(h.quiet, false) AS quiet
FROM described AS d
FULL JOIN brought AS b USING (country, kind)
LEFT JOIN country_health AS h USING (country)
ORDER BY country = 'unknown', country, articles DESC, kind;
