"""`newsmon search`: the stored articles a query in the topic language finds, best first.

An analyst tries a query here before making it a topic, so it is the same language, the
same aliases and the same matcher. The texts are not read again for every search: an
index in a file beside the store (`<db>.search`, sql/search/) holds each extracted
article's words, sorted by word, so that a search reads only its words' rows and ranks
the articles holding them by BM25; the matcher then keeps those the query, with its NOT,
NEAR and phrases, really matches, and shows the sentence that does. The index follows
the log: a search first adds what was extracted or re-tagged since the seq it recorded
(DuckDB's fts extension could only build its index again whole, and ranked by reading
every article).
"""

from __future__ import annotations

import json
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from pipeline.core.resources import sql_text
from pipeline.core.text import fold
from pipeline.store import Store
from pipeline.store.duck import literal, roll_back, scalar
from pipeline.store.errors import StoreError
from pipeline.topics import rules
from pipeline.topics.definitions import Topic, TopicsFile
from pipeline.topics.tagging import Tagger

CANDIDATES = 40        # ranked candidates read per result asked for, at first
READ_AT_MOST = 10_000  # ranked candidates read at most, when the matcher turns most down
LAYOUT = 5             # of the index's tables: an index of another layout is made anew
# marks the title's words in the index (add.sql): no word holds a "~", and words so
# marked sort after every word of ASCII letters, out of the blocks their prefixes read
TITLE = "~"
RESORT = 0.1           # share of postings added since the last sort that has them sorted again
_DOCS = """
SELECT a.article_id, a.title, a.text, a.url, coalesce(a.site, a.feed_id) AS site, a.day,
       coalesce((SELECT list(m.topic ORDER BY m.topic) FROM mention_state AS m
                 WHERE m.article_key = a.key AND m.decision = 'TopicMatched'), []) AS topics
FROM article_state AS a
WHERE a.extracted AND a.discovered_seq IS NOT NULL
"""
# the events that change what the index holds of an article: its text, site, day, topics
_CHANGED = """
SELECT DISTINCT article_id FROM events
WHERE seq > $after AND seq <= $upto AND article_id IS NOT NULL
  AND type IN ('ArticleDiscovered', 'ArticleExtracted', 'ArticleExtractionFailed',
               'TopicMatched', 'TopicUnmatched')
"""


@dataclass(frozen=True)
class Found:
    article_id: str
    title: str
    url: str
    site: str
    day: date | None
    topics: list[str]
    rank: float         # BM25 of the query's words: higher is better
    snippet: str


def search(store: Store, topics: TopicsFile, query: str, index: Path, *, since: date | None = None,
           topic: str | None = None, limit: int = 20,
           progress: Callable[[str], None] = lambda _: None) -> list[Found]:
    """The articles `query` matches, best ranked first (a QueryError if it is not a query)."""
    tree = rules.parse(query)
    words, prefixes = _words(tree, topics.aliases)
    if not words and not prefixes:
        raise rules.QueryError("a search needs at least one word that is not under NOT")
    # the aliases as they were checked when the file was loaded (checking them again
    # cost a search 6 ms)
    tagger = Tagger(topics.model_copy(update={"topics": [Topic(id="search", name="search", query=query)]}))
    with _index(store, index, progress) as (con, docs, avg):
        counts, expansions = _expand(con, prefixes)
        if words - set(counts):
            counts.update(con.execute(
                "SELECT term, sum(docs) FROM terms WHERE term IN "
                f"({', '.join(literal(w) for w in sorted(words - set(counts)))}) "
                "GROUP BY term HAVING sum(docs) > 0").fetchall())
        needs = _needs(tree, topics.aliases, set(counts), expansions)
        if not counts or needs is False:
            return []
        if isinstance(needs, frozenset) and needs >= counts.keys():
            needs = True  # any of the words: every article ranked holds one
        clauses = ["day >= $since"] if since else []
        if topic:
            clauses.append("doc IN (SELECT doc FROM docs WHERE list_contains(topics, $topic))")
        params = {"avg": avg or 1.0, **({"since": since} if since else {}),
                  **({"topic": topic} if topic else {})}
        found: list[Found] = []
        read, window = 0, limit * CANDIDATES
        while True:  # the next best ranked, more each time, while the matcher turns them down
            ranked = _rank(con, counts, docs, " AND ".join(clauses) or "true", needs,
                           {**params, "candidates": window, "skip": read})
            for start in range(0, len(ranked), limit):  # texts read as the matcher needs them
                chunk = dict(ranked[start:start + limit])
                rows = con.execute("SELECT doc, article_id, title, text, url, site, day, topics "
                                   f"FROM docs WHERE doc IN ({', '.join(map(str, chunk))})").fetchall()
                for doc, article_id, title, text, url, site, day, in_topics in sorted(
                        rows, key=lambda row: (-chunk[row[0]], row[1])):
                    match = next(iter(tagger.tag(text or "", title or "")), None)
                    if match is not None:
                        found.append(Found(article_id, title or "", url or "", site or "", day,
                                           list(in_topics), chunk[doc], match.snippet))
                        if len(found) == limit:
                            return found
            read += len(ranked)
            if len(ranked) < window:  # every article that could match was read
                return found
            if read >= READ_AT_MOST:
                progress(f"read the {read:,} best ranked articles that hold the query's words: more "
                         "of those further down may match it (narrow it, or give --since or --topic)")
                return found
            window = min(3 * read, READ_AT_MOST - read)


def _rank(con: duckdb.DuckDBPyConnection, counts: dict[str, int], docs: int, where: str,
          needs: Needs, params: dict) -> list[tuple[int, float]]:
    """The best $candidates articles holding the words `counts` (each with the number of
    articles holding it) that pass `where` and hold the words the query `needs`, by
    BM25, best first: (doc, rank)."""
    # each word's weight, worked out here: a join in the query cost as much again
    idf = "CASE term " + " ".join(
        f"WHEN {literal(w)} THEN {math.log((docs - n + 0.5) / (n + 0.5) + 1)!r}::DOUBLE"
        for w, n in counts.items()) + " END"
    score = f"{idf} * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / $avg))"
    several = len(counts) > 1
    held, having = _having(needs) if several else ("", "")
    rows = con.execute(sql_text("search/rank").format(
        words=", ".join(literal(w) for w in counts), score=score, where=where, total="sum" if several else "",
        held=held, group=f"GROUP BY doc {having}" if several else ""), params).fetchall()
    return [(doc, rank) for doc, rank, *_ in rows]


# What an article must hold for the query to be able to match it, from the words it
# holds alone: True (no need), False (none can), a set of words (one of them), or
# ("and" | "or", [needs]). An article that does not hold them holds no match: ranking
# it could fill the candidates with articles rich in one side of `a NEAR b` and keep out
# the ones that hold both, whatever their number.
Needs = bool | frozenset | tuple


def _needs(node, aliases: dict[str, list[str]], held: set[str],
           expansions: dict[str, set[str] | None], seen: tuple[str, ...] = (), mark: str = "") -> Needs:
    """What an article needs to hold for `node` to match in it: a word of a term (the
    word `_words` looks it up by, or a word its prefix expanded to; nothing when the
    prefix had more words than were looked up), each part of AND and NEAR, one of OR."""
    if isinstance(node, rules.Not):
        return True
    if isinstance(node, rules.Term):
        found, prefixes = _words(node, aliases, mark=mark)
        if prefixes:
            words = expansions.get(next(iter(prefixes)))
            return True if words is None else frozenset(words)
        return frozenset(found & held) if found else True
    if isinstance(node, rules.Field):
        return _needs(node.part, aliases, held, expansions, seen, _mark(node, mark))
    if isinstance(node, rules.AtLeast):
        return _needs(node.part, aliases, held, expansions, seen, mark)
    if isinstance(node, rules.Alias):
        if node.name in seen:
            return True
        return _either([_needs(p, aliases, held, expansions, seen + (node.name,), mark)
                        for p in _alias_parts(aliases, node.name)])
    if isinstance(node, rules.Or):
        return _either([_needs(p, aliases, held, expansions, seen, mark) for p in node.parts])
    # a NOT NEAR's right side is a NOT's: nothing an article must hold
    both = node.parts if isinstance(node, rules.And) else \
        (node.left,) if node.without else (node.left, node.right)
    needed = [_needs(p, aliases, held, expansions, seen, mark) for p in both]
    if any(n is False or n == frozenset() for n in needed):
        return False
    needed = [n for n in needed if n is not True]
    return True if not needed else needed[0] if len(needed) == 1 else ("and", needed)


def _either(needs: list[Needs]) -> Needs:
    if any(n is True for n in needs):
        return True
    words = frozenset().union(*(n for n in needs if isinstance(n, frozenset)))
    rest = [n for n in needs if isinstance(n, tuple)]
    if not rest:
        return words or False
    return ("or", rest + [words] if words else rest)


def _having(needs: Needs) -> tuple[str, str]:
    """The column `held` (one bit per set of words `needs` names, OR'ed over an
    article's words) and the HAVING clause that keeps the articles holding what `needs`
    asks; neither when nothing is needed, or when the sets are too many for 64 bits
    (the matcher still decides)."""
    sets: list[frozenset] = []

    def collect(n: Needs) -> None:
        if isinstance(n, frozenset):
            sets.extend([n] if n not in sets else [])
        elif isinstance(n, tuple):
            for part in n[1]:
                collect(part)

    collect(needs)
    if not sets or len(sets) > 62:
        return "", ""
    bits: dict[str, int] = {}
    for i, words in enumerate(sets):
        for word in words:
            bits[word] = bits.get(word, 0) | 1 << i

    def condition(n: Needs) -> str:
        if isinstance(n, frozenset):
            return f"(held & {1 << sets.index(n)}) <> 0"
        assert isinstance(n, tuple)
        return "(" + f" {n[0].upper()} ".join(condition(part) for part in n[1]) + ")"

    cases = " ".join(f"WHEN {literal(w)} THEN {b}" for w, b in sorted(bits.items()))
    return f", bit_or(CASE term {cases} ELSE 0 END::BIGINT) AS held", f"HAVING {condition(needs)}"


def _expand(con: duckdb.DuckDBPyConnection, prefixes: set[str]
            ) -> tuple[dict[str, int], dict[str, set[str] | None]]:
    """protest*: the indexed words that start so, the 200 most used of each prefix, with
    the number of articles that hold each; and each prefix's words (None when it has
    more than those)."""
    if not prefixes:
        return {}, {}
    # a scan of each prefix's range, which the terms' order lets DuckDB read from the few
    # blocks that hold it (the 18 prefixes of an alias query, on 4 million words: 37 ms).
    # A join of the terms with the ranges read every word between the first prefix and
    # the last: 13 ms on the synthetic log's words, which all sort outside that span,
    # 0.64 s once its titles' marked words fell inside it, as a real vocabulary does.
    # (a prefix inside another's range, `adquiri` in `adquir`'s, is not scanned again:
    # its words would be counted twice)
    outer = [p for p in sorted(prefixes) if not any(p != q and p.startswith(q) for q in prefixes)]
    ranges = " UNION ALL ".join(
        f"SELECT term, docs FROM terms WHERE term >= {literal(p)} AND term < {literal(_after(p))}"
        for p in outer)
    counted = con.execute(
        f"SELECT term, sum(docs) FROM ({ranges}) GROUP BY term HAVING sum(docs) > 0").fetchall()
    found: dict[str, int] = {}
    words: dict[str, set[str] | None] = {}
    for prefix in prefixes:
        held = sorted((-n, t) for t, n in counted if t.startswith(prefix))
        found.update((t, -n) for n, t in held[:200])
        words[prefix] = {t for _, t in held} if len(held) <= 200 else None
    return found, words


def _after(prefix: str) -> str:
    """The first string after every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _words(node, aliases: dict[str, list[str]], seen: tuple[str, ...] = (),
           mark: str = "") -> tuple[set[str], set[str]]:
    """The folded words a query looks for, and the prefixes (`protest*`), aliases
    expanded; none from under a NOT; those under `title:` marked as the title's."""
    if isinstance(node, rules.Not):
        return set(), set()
    if isinstance(node, rules.Field):
        return _words(node.part, aliases, seen, _mark(node, mark))
    if isinstance(node, rules.AtLeast):
        return _words(node.part, aliases, seen, mark)
    if isinstance(node, rules.Term):
        # split as the index splits (add.sql): "China-LAC" is held as china and lac
        found = [mark + w for word in node.words for w in re.findall(r"[^\W_]+", fold(word))]
        if node.prefix and found:
            return set(), {found[-1]}  # the phrase holds it: its other words add nothing
        # a phrase is found by its longest word, likely the rarest: "toma de control"
        # by "control", not by every article that says "de"
        return ({max(found, key=len)} if found else set()), set()
    if isinstance(node, rules.Alias):
        if node.name not in aliases:
            raise rules.QueryError(f"no alias @{node.name} in the topics file")
        if node.name in seen:
            return set(), set()
        parts = _alias_parts(aliases, node.name)
        seen = seen + (node.name,)
    else:
        parts = list(node.parts) if isinstance(node, (rules.And, rules.Or)) else \
            [node.left] if node.without else [node.left, node.right]
    words: set[str] = set()
    prefixes: set[str] = set()
    for part in parts:
        w, p = _words(part, aliases, seen, mark)
        words |= w
        prefixes |= p
    return words, prefixes


def _alias_parts(aliases: dict[str, list[str]], name: str) -> list:
    """The terms and the aliases an alias set names."""
    return [rules.Alias(e[1:]) if e.startswith("@") else rules.term(e) for e in aliases[name]]


def _mark(field: rules.Field, mark: str) -> str:
    """The mark of the words under `field`: the title's are indexed apart, the text's
    and the lead's are not (they are found among all of an article's words)."""
    return TITLE if field.name == "title" else mark


@contextmanager
def _index(store: Store, index: Path, progress: Callable[[str], None]
           ) -> Iterator[tuple[duckdb.DuckDBPyConnection, int, float]]:
    """The index, current, with the number of articles it holds and their average length
    in words. Read-only while the store is unchanged since (no lock, nothing to write
    back at the end); opened to write when it must be brought up to date."""
    stamp = store.stamp()  # before reading: a commit while we do makes the next search look again
    if stamp is not None and index.exists():
        con = _connect(index, read_only=True)
        try:
            state = _state(con)
            if state is not None and (state["layout"], state["stamp"]) == (LAYOUT, stamp):
                yield con, state["docs"], state["words"] / max(state["docs"], 1)
                return
        finally:
            con.close()
    con = _connect(index, read_only=False)
    try:
        yield con, *_refresh(store, con, stamp, progress)
    finally:
        con.close()


def _connect(index: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(index), read_only=read_only)
    except duckdb.IOException as error:
        raise StoreError(f"the search index {index} is busy (another search is "
                         f"bringing it up to date?): {error}") from None


def _refresh(store: Store, con: duckdb.DuckDBPyConnection, stamp: str | None,
             progress: Callable[[str], None]) -> tuple[int, float]:
    """Bring the index up to the store's read models: the articles whose events came
    since the seq it recorded are indexed again (all of them when it is of another
    store or layout). Returns the articles indexed and their average length in words."""
    state = _state(con)
    with store.reader() as source:
        first = scalar(source, "SELECT event_id FROM events WHERE seq = 1") or ""
        upto = scalar(source, "SELECT applied_seq FROM newsmon_projections")
        if state is None or (state["layout"], state["store"]) != (LAYOUT, first) or state["seq"] > upto:
            state = None  # another store's, another layout's, or ahead of this log
        if state is not None and state["seq"] == upto:  # the log has not moved: only the file did
            con.execute("UPDATE state SET stamp = $stamp", {"stamp": stamp})
            return state["docs"], state["words"] / max(state["docs"], 1)
        whole = state is None
        changed: list[str] = [] if state is None else [a for (a,) in source.execute(
            _CHANGED, {"after": state["seq"], "upto": upto}).fetchall()]
        if whole:
            progress("indexing the stored articles for search (once; later searches add "
                     "only what changed)")
        elif len(changed) > 1000:
            progress(f"indexing {len(changed):,} changed articles for search")
        con.execute("BEGIN")  # the index stays as it was until it is whole again
        try:
            if whole:
                con.execute(sql_text("search/tables"))
            _replace(con, source, None if whole else changed)
            if whole:  # made after the rows, as it is quicker so: kept up by DuckDB after
                con.execute("CREATE INDEX docs_doc ON docs (doc)")
            docs, words = con.execute("SELECT count(*), coalesce(sum(length), 0) FROM docs").fetchone() \
                or (0, 0)
            rows = scalar(con, "SELECT count(*) FROM postings")
            ordered = 0 if state is None else state["sorted"]
            if rows - ordered > RESORT * rows:  # the words' rows spread again: sort them
                con.execute("CREATE OR REPLACE TABLE postings AS FROM postings ORDER BY term, doc")
                con.execute("CREATE OR REPLACE TABLE terms AS SELECT term, sum(docs)::BIGINT AS docs "
                            "FROM terms GROUP BY term HAVING sum(docs) > 0 ORDER BY term")
                ordered = rows
            con.execute("DELETE FROM state")
            con.execute("INSERT INTO state VALUES ($layout, $store, $stamp, $seq, $docs, $words, $ordered)", {
                "layout": LAYOUT, "store": first, "stamp": stamp, "seq": upto, "docs": docs,
                "words": words, "ordered": ordered})
            con.execute("COMMIT")
        except BaseException:
            roll_back(con)
            raise
    return docs, words / max(docs, 1)


def _state(con: duckdb.DuckDBPyConnection) -> dict | None:
    try:
        cursor = con.execute("SELECT layout, store, stamp, seq, docs, words, sorted FROM state")
    except duckdb.Error:  # a new file, or one of an earlier layout
        return None
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row))


def _replace(con: duckdb.DuckDBPyConnection, source: duckdb.DuckDBPyConnection,
             articles: list[str] | None) -> None:
    """Index the stored articles `articles` (every one when None) again."""
    query, params = _DOCS, {}
    if articles is not None:
        if not articles:
            return
        # the ids as one JSON string: DuckDB's client looks for pandas twice for each item
        # of a list parameter (duckdb/duckdb#18658; without pandas, 0.09 ms a try)
        ids = "(SELECT unnest(from_json($ids, '[\"VARCHAR\"]')))"
        query += f" AND a.article_id IN {ids}"
        params = {"ids": json.dumps(articles)}
        con.execute(f"CREATE OR REPLACE TEMP TABLE gone AS SELECT doc FROM docs WHERE article_id IN {ids}",
                    params)
        con.execute("INSERT INTO terms SELECT term, -count(*) FROM postings "
                    "WHERE doc IN (SELECT doc FROM gone) GROUP BY term")
        con.execute("DELETE FROM postings WHERE doc IN (SELECT doc FROM gone)")
        con.execute("DELETE FROM docs WHERE doc IN (SELECT doc FROM gone)")
    after = scalar(con, "SELECT coalesce(max(doc), 0) FROM docs")
    for batch in source.execute(query, params).to_arrow_reader(50_000):
        con.register("batch", batch)
        con.execute("CREATE OR REPLACE TEMP TABLE incoming AS "
                    "SELECT $after + row_number() OVER () AS doc, * FROM batch", {"after": after})
        con.unregister("batch")
        con.execute(sql_text("search/add"))
        after += batch.num_rows
