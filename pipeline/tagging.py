"""Topic tagging: which topics a text mentions, with the terms that matched, their
offsets and the sentence that shows it. Pure.

Text is folded once (lower case, accents removed: Irán = Iran, Azángaro = Azangaro)
into a string of the same length, so offsets found in the folded text are offsets in
the original. One Aho-Corasick pass finds every term of every topic; word boundaries
are checked on the hits.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from dataclasses import dataclass

import ahocorasick

from .config import TopicsFile
from .events import stable_id

# Bump when matching behaves differently for the same definitions: it is part of the
# ruleset version, so a re-tag can tell old decisions from new ones.
MATCHER_VERSION = 1
SNIPPET_CHARS = 400


def _fold_table() -> dict[int, str]:
    table = {}
    for code in range(0x2B0):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char)
                       if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base != char:
            table[code] = base
    for space in "\t\n\r\x0b\x0c\xa0\u2009\u202f":
        table[ord(space)] = " "
    table[0x130] = "i"  # the one character whose lower() is two characters long
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without accents, exactly as long as `text`."""
    return text.translate(_FOLD).lower()


@dataclass(frozen=True)
class Hit:
    term: str       # the term as the topic defines it
    field: str      # title or text
    start: int
    end: int
    found: str      # the words as they stand in the field

    def as_dict(self) -> dict:
        return {"term": self.term, "field": self.field, "start": self.start,
                "end": self.end, "found": self.found}


@dataclass(frozen=True)
class TopicMatch:
    topic: str
    score: float
    hits: tuple[Hit, ...]
    snippet: str


@dataclass(frozen=True)
class _Term:
    topic: int
    group: int      # index in `all`, or -1 for a `none` term
    term: str
    prefix: bool


def ruleset_version(topics: TopicsFile) -> str:
    definitions = json.dumps(topics.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return stable_id("ruleset", MATCHER_VERSION, definitions, size=6)


class Tagger:
    def __init__(self, topics: TopicsFile):
        self.topics = topics.topics
        self.version = ruleset_version(topics)
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[_Term]] = {}
        for t, topic in enumerate(self.topics):
            terms = [(g, term) for g, group in enumerate(topic.all) for term in group]
            terms += [(-1, term) for term in topic.none]
            for group, term in terms:
                key = fold(" ".join(term.rstrip("*").split()))
                entries.setdefault(key, []).append(_Term(t, group, term, term.endswith("*")))
        for key, value in entries.items():
            self._automaton.add_word(key, (len(key), value))
        self._automaton.make_automaton()

    def hits(self, text: str, field: str) -> list[tuple[_Term, Hit]]:
        folded = fold(text)
        found = []
        for last, (length, terms) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            if start > 0 and folded[start - 1].isalnum():
                continue
            word_end = end
            while word_end < len(folded) and folded[word_end].isalnum():
                word_end += 1
            for term in terms:
                if not term.prefix and word_end != end:
                    continue
                stop = word_end if term.prefix else end
                found.append((term, Hit(term.term, field, start, stop, text[start:stop])))
        return found

    def tag(self, text: str, title: str = "") -> list[TopicMatch]:
        hits = self.hits(title or "", "title") + self.hits(text or "", "text")
        matches = []
        for t, topic in enumerate(self.topics):
            mine = [(term, hit) for term, hit in hits if term.topic == t]
            if any(term.group < 0 for term, _ in mine):
                continue
            if {term.group for term, _ in mine} != set(range(len(topic.all))):
                continue
            score = sum(2 if hit.field == "title" else 1 for _, hit in mine)
            matches.append(TopicMatch(topic.id, float(score), tuple(h for _, h in mine),
                                      snippet(text, title, mine)))
        return matches


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[^a-z])|\n+")


def snippet(text: str, title: str, hits: list[tuple[_Term, Hit]]) -> str:
    """The sentence of the text that holds the most groups of the topic (a sentence
    that only repeats the title counts last), or the title."""
    in_text = [(term, hit) for term, hit in hits if hit.field == "text"]
    if not in_text:
        return title
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    groups: dict[int, set[int]] = {}
    for term, hit in in_text:
        groups.setdefault(bisect.bisect_right(starts, hit.start) - 1, set()).add(term.group)
    def sentence_at(i: int) -> str:
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        return text[starts[i]:end].strip()

    best = max(sorted(groups), key=lambda i: (len(groups[i]), sentence_at(i) != title.strip()))
    sentence = sentence_at(best)
    if len(sentence) > SNIPPET_CHARS:
        sentence = sentence[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return sentence
