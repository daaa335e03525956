-- add: index the articles staged in `incoming` (doc and the columns of docs but length):
-- their words, folded as the matcher folds them (lower case, no accents), split on all
-- that is not a letter or a digit, counted per article; and the words of the title
-- again, marked `~` (`~puno`), for `title:(...)` (search.py's TITLE).
CREATE OR REPLACE TEMP TABLE added AS
SELECT term, doc, count(*)::INTEGER AS tf
FROM (SELECT doc, unnest(regexp_split_to_array(
          lower(strip_accents(coalesce(title, '') || ' ' || coalesce(text, ''))),
          '[^\pL\pN]+')) AS term
      FROM incoming
      UNION ALL
      SELECT doc, '~' || word FROM (
          SELECT doc, unnest(regexp_split_to_array(lower(strip_accents(coalesce(title, ''))),
                                                   '[^\pL\pN]+')) AS word
          FROM incoming)
      WHERE word <> '')
WHERE term <> ''
GROUP BY term, doc;

-- (an article's length in words, its title's marked words left out)
CREATE OR REPLACE TEMP TABLE sized AS
SELECT i.doc, i.day, coalesce(n.length, 0)::INTEGER AS length
FROM incoming AS i LEFT JOIN (SELECT doc, sum(tf) AS length FROM added
                              WHERE NOT starts_with(term, '~') GROUP BY doc) AS n USING (doc);

INSERT INTO docs
SELECT i.*, s.length FROM incoming AS i JOIN sized AS s USING (doc);

INSERT INTO postings
SELECT a.term, a.doc, a.tf, s.length, s.day FROM added AS a JOIN sized AS s USING (doc)
ORDER BY a.term, a.doc;

-- how many more articles hold each word (see tables.sql)
INSERT INTO terms SELECT term, count(*) FROM added GROUP BY term;
