"""`newsmon search`: the stored articles a query in the topic language finds, best first.

An analyst tries a query here before making it a topic, so it is the same language, the
same aliases and the same matcher. The texts are not read again for every search: a
full-text index (DuckDB's fts extension, BM25) over the extracted articles, kept in a
file beside the store (`<db>.search`), ranks the articles that hold the query's words;
the matcher then keeps those the query, with its NOT, NEAR and phrases, really matches,
and shows the sentence that does. The index is built again when the store has changed
since (newly extracted or re-tagged articles), which is the only time every text is read.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from pipeline.core.text import fold
from pipeline.store import Store
from pipeline.store.duck import scalar
from pipeline.store.errors import StoreError
from pipeline.topics import rules
from pipeline.topics.definitions import TopicsFile
from pipeline.topics.tagging import Tagger

CANDIDATES = 40        # ranked candidates read per result asked for
_DOCS = """
SELECT a.article_id, a.title, a.text, a.url, coalesce(a.site, a.feed_id) AS site, a.day,
       coalesce((SELECT list(m.topic ORDER BY m.topic) FROM mention_state AS m
                 WHERE m.article_key = a.key AND m.decision = 'TopicMatched'), []) AS topics
FROM article_state AS a
WHERE a.extracted AND a.discovered_seq IS NOT NULL
"""
# what changes the index: an article extracted, or its topics re-decided
_SIGNATURE = """
SELECT (SELECT count(*) FROM article_state WHERE extracted AND discovered_seq IS NOT NULL) || '|' ||
       coalesce((SELECT max(extracted_at) FROM article_state)::VARCHAR, '') || '|' ||
       coalesce((SELECT max(tagged_at) FROM mention_state)::VARCHAR, '') || '|' ||
       (SELECT count(*) FROM mention_state WHERE decision = 'TopicMatched')
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
    words, prefixes = _words(rules.parse(query), topics.aliases)
    if not words and not prefixes:
        raise rules.QueryError("a search needs at least one word that is not under NOT")
    tagger = Tagger(TopicsFile.model_validate({
        "aliases": topics.aliases, "topics": [{"id": "search", "name": "search", "query": query}]}))
    with _connect(index) as con:
        _refresh(store, con, progress)
        for prefix in sorted(prefixes):  # protest*: the indexed words that start so
            words |= {w for (w,) in con.execute(
                "SELECT term FROM fts_main_docs.dict WHERE starts_with(term, $p) "
                "ORDER BY df DESC LIMIT 200", {"p": prefix}).fetchall()}
        rows = con.execute(
            "SELECT article_id, title, text, url, site, day, topics, "
            "fts_main_docs.match_bm25(article_id, $words) AS rank FROM docs "
            "WHERE rank IS NOT NULL AND ($since IS NULL OR day >= $since) "
            "AND ($topic IS NULL OR list_contains(topics, $topic)) "
            "ORDER BY rank DESC, article_id LIMIT $candidates",
            {"words": " ".join(sorted(words)), "since": since, "topic": topic,
             "candidates": limit * CANDIDATES}).fetchall()
    found = []
    for article_id, title, text, url, site, day, in_topics, rank in rows:
        match = next(iter(tagger.tag(text or "", title or "")), None)
        if match is not None:
            found.append(Found(article_id, title or "", url or "", site or "", day, list(in_topics),
                               rank, match.snippet))
            if len(found) == limit:
                break
    return found


def _words(node, aliases: dict[str, list[str]], seen: tuple[str, ...] = ()) -> tuple[set[str], set[str]]:
    """The folded words a query looks for, and the prefixes (`protest*`), aliases
    expanded; none from under a NOT."""
    if isinstance(node, rules.Not):
        return set(), set()
    if isinstance(node, rules.Term):
        found = [w for word in node.words for w in fold(word).replace("'", " ").split() if w.isalnum()]
        if node.prefix and found:
            return set(found[:-1]), {found[-1]}
        return set(found), set()
    if isinstance(node, rules.Alias):
        if node.name not in aliases:
            raise rules.QueryError(f"no alias @{node.name} in the topics file")
        if node.name in seen:
            return set(), set()
        parts = [rules.Alias(e[1:]) if e.startswith("@") else rules.term(e) for e in aliases[node.name]]
        seen = seen + (node.name,)
    else:
        parts = getattr(node, "parts", None) or [getattr(node, n) for n in ("part", "left", "right")
                                                 if hasattr(node, n)]
    words: set[str] = set()
    prefixes: set[str] = set()
    for part in parts:
        w, p = _words(part, aliases, seen)
        words |= w
        prefixes |= p
    return words, prefixes


@contextmanager
def _connect(index: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        con = duckdb.connect(str(index))
    except duckdb.IOException as error:
        raise StoreError(f"the search index {index} is busy (another search is "
                         f"building it?): {error}") from None
    try:
        con.execute("SET autoinstall_known_extensions = false")
        con.execute(f"LOAD '{_fts()}'")
        yield con
    finally:
        con.close()


@cache
def _fts() -> str:
    try:
        root = Path(import_module("duckdb_extension_fts").__file__ or "").parent
    except ImportError:
        raise StoreError("search needs duckdb-extension-fts (a dependency of newsmon: "
                         "reinstall it)") from None
    return str(sorted(root.glob("extensions/*/*.duckdb_extension"))[-1])


def _refresh(store: Store, con: duckdb.DuckDBPyConnection, progress: Callable[[str], None]) -> None:
    """Build the index again when the store has changed since it was built."""
    with store.reader() as source:
        signature = scalar(source, _SIGNATURE)
        con.execute("CREATE TABLE IF NOT EXISTS meta (signature VARCHAR)")
        if con.execute("SELECT signature FROM meta").fetchall() == [(signature,)]:
            return
        progress("indexing the stored articles for search (once after each change to them)")
        con.execute("DELETE FROM meta")  # not current until the index is whole again
        batches = source.execute(_DOCS).to_arrow_reader(50_000)
        con.execute("CREATE OR REPLACE TABLE docs (article_id VARCHAR, title VARCHAR, text VARCHAR, "
                    "url VARCHAR, site VARCHAR, day DATE, topics VARCHAR[])")
        for batch in batches:
            con.register("batch", batch)
            con.execute("INSERT INTO docs SELECT * FROM batch")
            con.unregister("batch")
    # folded and without stemming: the matcher, not the index, decides what a word matches
    con.execute("PRAGMA create_fts_index('docs', 'article_id', 'title', 'text', stemmer='none', "
                "strip_accents=1, lower=1, stopwords='none', overwrite=1)")
    con.execute("INSERT INTO meta VALUES ($s)", {"s": signature})
