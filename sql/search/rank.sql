-- rank: the articles holding any of the words {words}, by BM25 (k1 1.2, b 0.75, as
-- DuckDB's fts extension; {score} is a posting's share of its article's), the best
-- $candidates of those that pass {where}. {total} is `sum` when there are several
-- words, nothing when there is one: an article has one row per word, and grouping the
-- rows of a word that a twelfth of two million articles hold took twice as long as
-- ranking them.
-- {group} keeps, with several words, the articles that hold what the query needs, by
-- the column {held} adds (search.py's _having).
-- parameters: $avg (the articles' average length in words), $candidates after the
--             $skip best, and $since and $topic where {where} names them
SELECT doc, {total}({score}) AS rank{held}
FROM postings
WHERE term IN ({words}) AND {where}
{group}
ORDER BY rank DESC, doc
LIMIT $candidates OFFSET $skip;
