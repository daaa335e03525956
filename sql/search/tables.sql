-- The search index (a DuckDB file beside the store, `<db>.search`): the extracted
-- articles and, for every word of each, how often it occurs. Only ever derived: deleting
-- the file loses nothing.
--   state     which store (its first event; the file's stamp when it was last read), up
--             to which seq of its log, and the counts BM25 needs
--   docs      one row per extracted article (`doc` numbers it in the index)
--   postings  word x article; kept sorted by word, so a search reads only the blocks of
--             its words (DuckDB skips the others by their min/max), however many articles;
--             the title's words once more, marked `~` (for `title:(...)`)
--   terms     how many articles hold each word, as changes (+n for articles indexed, -n
--             for those taken out) that the sort of the postings sums up: a query's
--             words and prefixes are looked up here, not in the postings (an alias query
--             names hundreds of words, most of them in no article); adding rows costs a
--             commit far less than updating a row per word
-- (and what the index of layout 1, DuckDB's fts extension, left)
DROP SCHEMA IF EXISTS fts_main_docs CASCADE;
DROP TABLE IF EXISTS meta;
CREATE OR REPLACE TABLE state (layout INTEGER, store VARCHAR, stamp VARCHAR, seq BIGINT,
                               docs BIGINT, words BIGINT, sorted BIGINT);
CREATE OR REPLACE TABLE docs (doc BIGINT, article_id VARCHAR, title VARCHAR, text VARCHAR,
                              url VARCHAR, site VARCHAR, day DATE, topics VARCHAR[],
                              length INTEGER);
-- (with the article's length and day: ranking and --since read no other table)
CREATE OR REPLACE TABLE postings (term VARCHAR, doc BIGINT, tf INTEGER, length INTEGER, day DATE);
CREATE OR REPLACE TABLE terms (term VARCHAR, docs BIGINT);
