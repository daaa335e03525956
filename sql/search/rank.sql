-- rank: the articles holding any of the words {words}, by BM25 (k1 1.2, b 0.75, as
-- DuckDB's fts extension; {idf} gives each word's weight), the best $candidates of
-- those that pass {where}.
-- parameters: $avg (the articles' average length in words), $candidates, and $since and
--             $topic where {where} names them
SELECT doc, sum({idf} * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / $avg))) AS rank
FROM postings
WHERE term IN ({words}) AND {where}
GROUP BY doc
ORDER BY rank DESC, doc
LIMIT $candidates;
