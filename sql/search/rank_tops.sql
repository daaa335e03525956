-- rank_tops: what rank.sql ranks, found without grouping every row of the words many
-- articles hold (the threshold algorithm of Fagin, Lotem and Naor, in one pass). Each
-- such word's best $candidates articles by that word alone ({tops}: one subquery per
-- word, and one for all the rarer words' rows) are ranked by every word of the query;
-- an article that none of them holds scores at most `threshold`, the sum of each
-- word's worst score in its list (0 for a list that holds all the word's articles).
-- The ranking is the whole one when the last row ranks at least `threshold` (an
-- article outside could only tie with it), or when the threshold is 0.
-- placeholders: {tops}, {words}, {score} (a posting's share of its article's BM25),
--               {where}; parameters: $avg, $candidates, and $since and $topic where
--               {where} names them
WITH tops AS ({tops}),
threshold AS (
    SELECT coalesce(sum(worst), 0) AS threshold
    FROM (SELECT CASE WHEN count(*) < $candidates THEN 0 ELSE min(score) END AS worst
          FROM tops WHERE score IS NOT NULL GROUP BY term)
)
SELECT doc, sum({score}) AS rank, any_value((SELECT threshold FROM threshold)) AS threshold
FROM postings
WHERE term IN ({words}) AND {where} AND doc IN (SELECT doc FROM tops)
GROUP BY doc
ORDER BY rank DESC, doc
LIMIT $candidates;
