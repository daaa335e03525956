"""Tagging: throughput with the default topics and with 500 terms, against one bare
pyahocorasick pass over the same text, and its cost as a share of extraction."""

from __future__ import annotations

import collections
import re

import trafilatura

from bench.common import best_of, pages
from pipeline.core.text import fold
from pipeline.extract.page import OPTIONS, decode, extract_page
from pipeline.topics.definitions import TopicsFile, load_topics
from pipeline.topics.tagging import Tagger


def synthetic_rules(texts: list[str], terms: int = 500) -> TopicsFile:
    """`terms` real words of the corpus in 10 alias sets, 5 topics of two sets each,
    joined by NEAR/s: the shape of the default rules, ten times the size."""
    words = collections.Counter(w for t in texts for w in re.findall(r"[^\W\d_]{5,}", t.lower()))
    vocabulary = [w for w, _ in words.most_common(terms * 3)][terms:terms * 2]  # not the commonest
    sets = {f"set{i}": vocabulary[i::10] for i in range(10)}
    topics = [{"id": f"t{i}", "name": f"t{i}", "query": f"@set{2 * i} NEAR/s @set{2 * i + 1}"}
              for i in range(5)]
    return TopicsFile.model_validate({"aliases": sets, "topics": topics})


def run() -> list[tuple[str, str, str]]:
    raw = pages()
    extractions = [extract_page(decode(body, None)) for _, body in raw]
    docs = [(e.title or "", e.text) for e in extractions if e]
    megabytes = sum(len(t.encode()) + len(x.encode()) for t, x in docs) / 1e6
    rows = []

    def bare_pass(automaton):
        for title, text in docs:
            for _ in automaton.iter(fold(title)):
                pass
            for _ in automaton.iter(fold(text)):
                pass

    for label, rules in (("default topics", load_topics()),
                         ("500 terms", synthetic_rules([x for _, x in docs]))):
        tagger = Tagger(rules)
        ours = best_of(5, lambda tagger=tagger: [tagger.tag(x, t) for t, x in docs])
        automaton = tagger._automaton  # the same patterns, iterated bare
        bare = best_of(5, lambda automaton=automaton: bare_pass(automaton))
        rows.append((f"tagging, {label}", f"{megabytes / ours:.1f} MB/s ({len(docs)} pages, "
                     f"{megabytes:.1f} MB)", f"{bare / ours:.2f} of a bare fold + pyahocorasick pass"))

    htmls = [decode(body, None) for _, body in raw]
    extraction = best_of(3, lambda: [trafilatura.bare_extraction(h, **OPTIONS) for h in htmls])
    tagger = Tagger(load_topics())
    tagging = best_of(5, lambda: [tagger.tag(x, t) for t, x in docs])
    rows.append(("tagging cost, default topics", f"{1000 * tagging / len(docs):.2f} ms/page",
                 f"{100 * tagging / extraction:.1f}% of trafilatura extraction (newsmon's settings) "
                 "on the same pages"))
    return rows
