-- report_together: pairs of topics matched by the same articles published from $since to
-- $until, most often first.
-- parameters: $since, $until (DATEs)
-- columns: a, b (a < b), articles
WITH m AS (SELECT DISTINCT article_id, topic FROM mentions WHERE day BETWEEN $since AND $until)
SELECT x.topic AS a, y.topic AS b, count(*) AS articles
FROM m AS x JOIN m AS y ON x.article_id = y.article_id AND x.topic < y.topic
GROUP BY ALL
ORDER BY articles DESC, a, b;
