-- country_health: per country the feeds file names, how its outlets' feeds are doing,
-- and whether the country went quiet: none of its feeds brought an article in the last
-- 7 days, while together they usually do, or while every one of them is failing. A
-- quiet country is "we read nothing from there", not "nothing happened there".
-- columns: country, feeds, failing (failing or retired), articles_7d, usual_7d, quiet
CREATE OR REPLACE VIEW country_health AS
SELECT country, count(*) AS feeds,
       count(*) FILTER (WHERE state IN ('failing', 'retired')) AS failing,
       sum(articles_7d) AS articles_7d, sum(usual_7d) AS usual_7d,
       sum(articles_7d) = 0 AND (sum(usual_7d) > 0
           OR count(*) FILTER (WHERE state IN ('failing', 'retired')) = count(*)) AS quiet
FROM sources
WHERE country IS NOT NULL
GROUP BY country;
