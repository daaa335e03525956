"""Topic tagging: which topics a text mentions, with the terms that matched, their
offsets and the sentence that shows it. Pure.

Text is folded once (lower case, accents removed: Irán = Iran, Azángaro = Azangaro)
into a string of the same length, so offsets found in the folded text are offsets in
the original. One Aho-Corasick pass finds every term of every topic (aliases
included); word boundaries are checked on the hits, and each topic's query tree
(`rules.py`) is then evaluated on the hits alone.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator

import ahocorasick

from pipeline.core import events as ev
from pipeline.core.events import stable_id
from pipeline.core.text import fold, fold_words
from pipeline.topics import rules
from pipeline.topics.definitions import TopicsFile

# Bump when matching behaves differently for the same definitions: it is part of the
# ruleset version, so a re-tag can tell old decisions from new ones.
MATCHER_VERSION = 10
SNIPPET_CHARS = 400
MAX_PAIRS = 100_000  # pieces of evidence a NEAR weighs at most in one text (_Reach)
FIELDS = ("title", "text")
LEAD_SENTENCES = 3  # `lead:` is the title and the text's first sentences


@dataclass(frozen=True)
class Hit:
    term: str       # the term as the rule writes it
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
    sentence: tuple[int, int] | None    # where the snippet stands in the text


def ruleset_version(topics: TopicsFile) -> str:
    definitions = json.dumps(topics.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return stable_id("ruleset", MATCHER_VERSION, definitions, size=6)


class _Doc:
    """One text being tagged: its fields, and their word and sentence starts, worked out
    only when a NEAR asks for them."""

    _WORD = re.compile(r"\w+")
    # a full stop, then a space and no lower case letter; or a word's full stop that the
    # next sentence's first word follows unspaced ("etc.Debilitamiento": text pasted from
    # lines), which EE.UU. or S.A. are not; a comma before a clause that sets something
    # else against the first ("..., mientras en Caracas se conmemoraba...")
    _SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+(?=[^a-z])|\n+"
                               r"|(?<=[a-zß-ÿ]{2}\.)(?=[A-ZÀ-Þ][a-zß-ÿ])"
                               r"|(?<=,)\s+(?=(?:mientras|while|whereas|enquanto)\s)")

    def __init__(self, title: str, text: str):
        self.text = {"title": title, "text": text}
        self._words: dict[str, list[int]] = {}
        self._sentences: dict[str, list[int]] = {}

    def word_index(self, field: str, offset: int) -> int:
        if field not in self._words:
            self._words[field] = [m.start() for m in self._WORD.finditer(self.text[field])]
        return bisect.bisect_right(self._words[field], offset) - 1

    def sentence_starts(self, field: str) -> list[int]:
        if field not in self._sentences:
            text = self.text[field]
            self._sentences[field] = [0] + [m.end() for m in self._SENTENCE_END.finditer(text)]
        return self._sentences[field]

    # A sentence that turns to other news ("Mientras tanto, en Venezuela...",
    # "Meanwhile", "Enquanto isso", "Separately"): evidence is not joined across it.
    # (and a clause that sets something else against it: "..., mientras en Caracas...")
    _OTHER_NEWS = re.compile(r"[\"'“«(]*(?:mientras|en otro orden|en otras noticias|por separado"
                             r"|meanwhile|in other news|separately|while|whereas|enquanto"
                             r"|em outra frente)\b", re.IGNORECASE)

    def turns(self, field: str, first: int, last: int) -> bool:
        """Whether a sentence after `first`, up to `last`, turns to other news."""
        starts = self.sentence_starts(field)
        return any(self._OTHER_NEWS.match(self.text[field], starts[i]) for i in range(first + 1, last + 1))

    def sentence_index(self, field: str, offset: int) -> int:
        return bisect.bisect_right(self.sentence_starts(field), offset) - 1

    def sentence(self, field: str, index: int) -> tuple[int, int]:
        starts = self.sentence_starts(field)
        end = starts[index + 1] if index + 1 < len(starts) else len(self.text[field])
        return starts[index], end


@dataclass
class _Topic:
    id: str
    query: object                       # the tree, aliases expanded, terms as leaf ids
    leaves: set[int] = field(default_factory=set)


class Tagger:
    def __init__(self, topics: TopicsFile):
        self.definitions = topics
        self.version = ruleset_version(topics)
        self._leaves: dict[tuple[tuple[str, ...], bool, tuple[int, ...]], int] = {}
        self._terms: list[rules.Term] = []
        self._topics = [self._compile(t.id, rules.parse(t.query), topics.aliases)
                        for t in topics.topics]
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[tuple[int, bool, tuple[int, ...]]]] = {}
        for (words, prefix, capitals), leaf in self._leaves.items():
            by_key.setdefault(" ".join(words), []).append((leaf, prefix, capitals))
        for key, value in by_key.items():
            self._automaton.add_word(key, (len(key), value))
        self._automaton.make_automaton()

    def rule(self, topic: str) -> str:
        """The query of a topic, as written."""
        return next(t.query for t in self.definitions.topics if t.id == topic)

    # -- compiling ---------------------------------------------------------------

    def _leaf(self, term: rules.Term) -> int:
        written = " ".join(term.words)
        capitals = tuple(i for i, c in enumerate(written) if c.isupper()) if term.cased else ()
        key = (tuple(fold(w) for w in term.words), term.prefix, capitals)
        if key not in self._leaves:
            self._leaves[key] = len(self._terms)
            self._terms.append(term)
        return self._leaves[key]

    def _compile(self, topic_id: str, tree, aliases: dict[str, list[str]]) -> _Topic:
        topic = _Topic(topic_id, None)

        def expand(node, seen: tuple[str, ...] = ()):
            if isinstance(node, rules.Term):
                leaf = self._leaf(node)
                topic.leaves.add(leaf)
                return leaf
            if isinstance(node, rules.Alias):
                if node.name in seen:
                    raise rules.QueryError(f"alias @{node.name} includes itself")
                entries = [rules.Alias(e[1:]) if e.startswith("@") else rules.term(e)
                           for e in aliases[node.name]]
                return rules.Or(tuple(expand(e, seen + (node.name,)) for e in entries))
            if isinstance(node, (rules.And, rules.Or)):
                return type(node)(tuple(expand(p, seen) for p in node.parts))
            if isinstance(node, rules.Not):
                return rules.Not(expand(node.part, seen))
            if isinstance(node, rules.Field):
                return rules.Field(node.name, expand(node.part, seen))
            if isinstance(node, rules.AtLeast):
                return rules.AtLeast(node.count, expand(node.part, seen))
            return rules.Near(expand(node.left, seen), expand(node.right, seen), node.distance,
                              node.sentences, node.without)

        topic.query = expand(tree)
        return topic

    # -- matching ----------------------------------------------------------------

    def scan(self, text: str, field_name: str, found: dict[int, list[Hit]]) -> None:
        """Add every whole-word hit of every term in `text` to `found` (by leaf)."""
        folded, to_original = _squeezed(text)
        for last, (length, leaves) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            if start > 0 and folded[start - 1].isalnum():
                continue
            word_end = end
            while word_end < len(folded) and folded[word_end].isalnum():
                word_end += 1
            for leaf, prefix, capitals in leaves:
                if not prefix and word_end != end:
                    continue
                if capitals and not all(text[to_original(start + i)].isupper() for i in capitals):
                    continue
                first, stop = to_original(start), to_original(word_end if prefix else end)
                found.setdefault(leaf, []).append(
                    Hit(str(self._terms[leaf]), field_name, first, stop, text[first:stop]))

    def hits(self, text: str, title: str = "") -> dict[int, list[Hit]]:
        """Every term found in the title and the text, by its leaf."""
        found: dict[int, list[Hit]] = {}
        self.scan(title or "", "title", found)
        self.scan(text or "", "text", found)
        return found

    def tag(self, text: str, title: str = "") -> list[TopicMatch]:
        found = self.hits(text, title)
        if not found:
            return []
        doc = _Doc(title or "", text or "")
        matches = []
        for topic in self._topics:
            if not topic.leaves.intersection(found):
                continue
            ok, hits = _evaluate(topic.query, found, doc, None)
            if ok and hits:
                matches.append(_match(topic.id, hits, doc))
        return matches


@dataclass(frozen=True)
class Step:
    """One part of a topic's query, and what it found in a text (`topics explain`)."""
    depth: int
    part: str           # "@iran", "NEAR/s1", "OR", "Juliaca"...
    holds: bool
    found: tuple[str, ...]


# Between the words of a phrase the text may hold more than one space or quotation
# marks ('vai virar uma "China"', 'la  nueva dueña'): the words are matched with every
# run of spaces one space, quotation marks read as spaces (`fold_words`).
_GAP = re.compile(" {2,}")


def _squeezed(text: str) -> tuple[str, Callable[[int], int]]:
    """`text` folded, each gap one space, and the function that takes an offset in it
    back to the offset in `text`."""
    after: list[int] = []   # where each gap's next word starts, in the squeezed text
    removed = [0]           # characters dropped before it

    def one_space(gap: re.Match) -> str:
        after.append(gap.start() - removed[-1] + 1)
        removed.append(removed[-1] + gap.end() - gap.start() - 1)
        return " "

    folded = _GAP.sub(one_space, fold_words(text))
    if not after:
        return folded, lambda offset: offset
    return folded, lambda offset: offset + removed[bisect.bisect_right(after, offset)]


def explain(tagger: "Tagger", topic: str, text: str, title: str = "") -> list[Step]:
    """Each part of the topic's query, outermost first, with whether it holds on the text
    and the words that make it so: why something matched, or did not."""
    found = tagger.hits(text, title)
    doc = _Doc(title or "", text or "")
    tree = rules.parse(tagger.rule(topic))
    aliases = tagger.definitions.aliases
    steps: list[Step] = []

    def walk(node, depth: int) -> None:
        ok, hits = _evaluate(tagger._compile(topic, node, aliases).query, found, doc, None)
        words = tuple(dict.fromkeys(h.found for h in hits))
        steps.append(Step(depth, _label(node), ok, words))
        if isinstance(node, (rules.And, rules.Or)):
            for part in node.parts:
                walk(part, depth + 1)
        elif isinstance(node, (rules.Not, rules.Field, rules.AtLeast)):
            walk(node.part, depth + 1)
        elif isinstance(node, rules.Near):
            walk(node.left, depth + 1)
            walk(node.right, depth + 1)

    walk(tree, 0)
    return steps


def why_missed(tagger: "Tagger", topic: str, text: str, title: str = "") -> str:
    """What a text the topic does not match lacks, in a few words (`topics check` sorts
    its misses by it): the aliases and terms that found nothing, along the alternatives
    of the query that came closest (`no @acquisition`); when each found something, the
    NOT that held, or that they were not near enough together."""
    found = tagger.hits(text, title)
    doc = _Doc(title or "", text or "")
    aliases = tagger.definitions.aliases

    def holds(node) -> bool:
        return _evaluate(tagger._compile(topic, node, aliases).query, found, doc, None)[0]

    def lacks(node) -> tuple[list, list]:
        """(the parts that found nothing, the NOTs that held) on the closest way to `node`."""
        if isinstance(node, (rules.Term, rules.Alias, rules.Field, rules.AtLeast)):
            return ([] if holds(node) else [node]), []
        if isinstance(node, rules.Not):
            return [], ([node] if not holds(node) else [])
        if isinstance(node, rules.Or):
            if holds(node):
                return [], []
            return min((lacks(part) for part in node.parts), key=lambda ways: (len(ways[0]), len(ways[1])))
        if isinstance(node, rules.Near) and node.without:
            missing, excluded = lacks(node.left)
            return missing, (excluded or ([node] if not holds(node) else []))
        missing, excluded = [], []
        for part in node.parts if isinstance(node, rules.And) else (node.left, node.right):
            more, others = lacks(part)
            missing += more
            excluded += others
        return missing, excluded

    missing, excluded = lacks(rules.parse(tagger.rule(topic)))
    if missing:
        return "no " + ", ".join(dict.fromkeys(_show(n) for n in missing))
    if excluded:
        return "excluded by " + ", ".join(dict.fromkeys(_show(n) for n in excluded))
    return "every part found, not near enough together"


def _show(node) -> str:
    """A part of a query as it would be written."""
    if isinstance(node, (rules.Term, rules.Alias)):
        return _label(node)
    if isinstance(node, rules.Not):
        return f"NOT {_show(node.part)}"
    if isinstance(node, rules.Field):
        return f"{node.name}:({_show(node.part)})"
    if isinstance(node, rules.AtLeast):
        return f"ATLEAST{node.count} {_show(node.part)}"
    if isinstance(node, rules.Near):
        return f"{_show(node.left)} {_label(node)} {_show(node.right)}"
    return "(" + f" {type(node).__name__.upper()} ".join(_show(p) for p in node.parts) + ")"


def _label(node) -> str:
    if isinstance(node, rules.Term):
        return str(node)
    if isinstance(node, rules.Alias):
        return f"@{node.name}"
    if isinstance(node, rules.Near):
        near = f"NEAR/{node.distance}" if node.distance is not None else \
            f"NEAR/s{node.sentences or ''}"
        return f"NOT {near}" if node.without else near
    if isinstance(node, rules.Field):
        return f"{node.name}:"
    if isinstance(node, rules.AtLeast):
        return f"ATLEAST{node.count}"
    return type(node).__name__.upper()


def _evaluate(node, found: dict[int, list[Hit]], doc: _Doc, only: str | None):
    """(true?, the hits that make it so) for a compiled tree."""
    if isinstance(node, rules.Or):
        results = [_evaluate(p, found, doc, only) for p in _present(node, found)]
        return any(ok for ok, _ in results), [h for ok, hs in results if ok for h in hs]
    if isinstance(node, rules.And):
        # a part that only says how prominent a name is (ATLEAST, lead:) is the evidence
        # when no other part has any: else the snippet could move to a sentence that
        # names Iran twice and no party of the region
        hits: list[Hit] = []
        conditions: list[Hit] = []
        for part in node.parts:
            ok, part_hits = _evaluate(part, found, doc, only)
            if not ok:
                return False, []
            (conditions if _prominence(part) else hits).extend(part_hits)
        return True, hits or conditions
    if isinstance(node, rules.Not):
        ok, _ = _evaluate(node.part, found, doc, only)
        return not ok, []
    if isinstance(node, rules.Field):
        return _evaluate(node.part, found, doc, node.name)
    if isinstance(node, rules.AtLeast):
        ok, hits = _evaluate(node.part, found, doc, only)
        ok = ok and len({(h.field, h.start) for h in hits}) >= node.count
        return ok, hits if ok else []
    if isinstance(node, int):
        hits = [h for h in found.get(node, ()) if _within(h, only, doc)]
        return bool(hits), hits
    spans = _spans(node, found, doc, only)
    return bool(spans), sorted({h for hits in spans.values() for h in hits},
                               key=lambda h: (h.field, h.start))


def _present(node: rules.Or, found: dict[int, list[Hit]]) -> list:
    """The parts of an OR that may hold: an alias set is an OR of hundreds of terms, and
    a text holds a few of them (visiting each cost tagging a fifth of its time)."""
    return [p for p in node.parts if not isinstance(p, int) or p in found]


def _prominence(node) -> bool:
    """Whether a part of a query only says how prominent something is in the text: an
    ATLEAST, a `lead:`, or a choice among them."""
    if isinstance(node, rules.AtLeast) or (isinstance(node, rules.Field) and node.name == "lead"):
        return True
    return isinstance(node, rules.Or) and all(_prominence(p) for p in node.parts)


def _within(hit: Hit, only: str | None, doc: _Doc) -> bool:
    """Whether a hit lies in the field a `title:`, `text:` or `lead:` asks for."""
    if only == "lead":
        return hit.field == "title" or doc.sentence_index(hit.field, hit.start) < LEAD_SENTENCES
    return only is None or hit.field == only


@dataclass(frozen=True)
class _Span:
    """Where one piece of a NEAR's evidence lies: its first and last sentence, its first
    and last character, and the widest NEAR/sN that joined it (its hits lie within that
    many sentences and one)."""
    field: str
    first: int
    last: int
    start: int
    end: int
    window: int


def _spans(node, found: dict[int, list[Hit]], doc: _Doc, only: str | None) -> dict[_Span, set[Hit]]:
    """The evidence of a NEAR's side, piece by piece: a term's every hit, or every pair of
    pieces a NEAR found close, each with the hits that make it up. A NEAR joins pieces
    whole: `(a NEAR/s1 b) NEAR/s1 c` holds when a, b and c lie within two sentences,
    not when b is near a and c near b three sentences on."""
    if isinstance(node, int):
        spans: dict[_Span, set[Hit]] = {}
        for h in found.get(node, ()):
            if _within(h, only, doc):
                sentence = doc.sentence_index(h.field, h.start)
                spans.setdefault(_Span(h.field, sentence, sentence, h.start, h.end, 0), set()).add(h)
        return spans
    if isinstance(node, rules.Or):
        merged: dict[_Span, set[Hit]] = {}
        for part in _present(node, found):
            for span, hits in _spans(part, found, doc, only).items():
                merged.setdefault(span, set()).update(hits)
        return merged
    if isinstance(node, rules.Field):
        return _spans(node.part, found, doc, node.name)
    left = _spans(node.left, found, doc, only)
    right = _spans(node.right, found, doc, only) if left else {}
    reach = _Reach(right, node)
    if node.without:  # the pieces of the left side with no piece of the right that near
        return {a: hits for a, hits in left.items()
                if not any(_join(a, b, node, doc) for b in reach.of(a))}
    near: dict[_Span, set[Hit]] = {}
    for a, a_hits in left.items():
        for b in reach.of(a):
            joined = _join(a, b, node, doc)
            if joined is not None:
                near.setdefault(joined, set()).update(a_hits, right[b])
    if node.distance is not None:
        return near
    # over sentences, the pieces joined in the same sentences are one piece, whose
    # characters span their hits
    pieces: dict[tuple[str, int, int, int], set[Hit]] = {}
    for span, hits in near.items():
        pieces.setdefault((span.field, span.first, span.last, span.window), set()).update(hits)
    return {_Span(name, first, last, min(h.start for h in hits), max(h.end for h in hits), window): hits
            for (name, first, last, window), hits in pieces.items()}


class _Reach:
    """The pieces of a NEAR's right side that may lie near a piece of its left: those of
    its field whose sentences are within reach (for a NEAR in words, all of its field),
    at most MAX_PAIRS in all, so that a text made to be slow (one endless sentence of
    names) is weighed no further than that."""

    def __init__(self, right: dict[_Span, set[Hit]], near: rules.Near):
        self.reach = near.sentences if near.distance is None else None
        self.by_field: dict[str, tuple[list[int], list[_Span], int]] = {}
        for name in {s.field for s in right}:
            pieces = sorted((s for s in right if s.field == name), key=lambda s: s.first)
            self.by_field[name] = ([s.first for s in pieces], pieces,
                                   max(s.last - s.first for s in pieces))
        self.left = MAX_PAIRS

    def of(self, a: _Span) -> Iterator[_Span]:
        if a.field not in self.by_field:
            return
        firsts, pieces, widest = self.by_field[a.field]
        if self.reach is None:
            lo, hi = 0, len(pieces)
        else:
            lo = bisect.bisect_left(firsts, a.first - self.reach - widest)
            hi = bisect.bisect_right(firsts, a.last + self.reach)
        for b in pieces[lo:hi]:
            if self.left <= 0:
                return
            self.left -= 1
            yield b


# Words that join the items of a list of names ("Irán, Libia, Siria y Venezuela").
_OF = frozenset("de do da dos das del la el los las of the".split())
_ITEMS = re.compile(r"\s*(?:,|\b(?:y|e|and|ou|o|or|et)\b)\s*")
_LIST_CHARS = 200  # a longer stretch between two hits is read as prose, not a list
# a list that goes on after the second hit: a comma or a conjunction, then a name
_MORE_ITEMS = re.compile(_ITEMS.pattern + "[A-ZÀ-Þ]")
# words that say where or whence: never an item of a list ("la Belagrícola, no Paraná"),
# and, said before a comma, where something happens ("En Caracas, Irán y Rusia firmaron")
_PLACING = frozenset("en in em no na nos nas desde from at".split())
_WHERE = re.compile(r"\b(?:" + "|".join(sorted(_PLACING)) + r")\s+$", re.IGNORECASE)


def _listed(between: str, following: str, preceding: str = "") -> bool:
    """Whether the text between two hits holds only other items of one list, with a
    comma: countries or peoples listed together are not evidence that they deal with
    each other ("Irán, Libia, Siria y Venezuela"; "brasileiros, indianos, chineses e
    iranianos"). An item is a name (its words capitalised, joined by de, del, of...) or,
    among two or more, one word. A comma alone may be an apposition ("Luz del Sur,
    controlada por la china CTG"; "En Caracas, Irán firmó"), unless the list goes on
    after the second hit ("Irán, Cuba y Venezuela"; not "En Caracas, Irán y Rusia
    firmaron", where the first says where); and words that say something are no item
    ("Irán, aliado de Venezuela")."""
    if "," not in between:
        return False
    items = [item for item in _ITEMS.split(between) if item.strip()]
    if not items:
        return _MORE_ITEMS.match(following) is not None and _WHERE.search(preceding) is None
    for item in items:
        words = _Doc._WORD.findall(item)
        if len(words) == 1 and words[0].lower() in _PLACING:
            return False
        named = all(w[0].isupper() or w in _OF for w in words)
        if not named and (len(words) > 1 or len(items) < 2):
            return False
    return True


def _join(a: _Span, b: _Span, near: rules.Near, doc: _Doc) -> _Span | None:
    """The piece of evidence `a` and `b` make together, if they are near enough and not
    two items of one list."""
    before, after = (a, b) if a.start <= b.start else (b, a)
    apart = after.start >= before.end
    first, last = min(a.first, b.first), max(a.last, b.last)
    one_sentence = not apart or \
        doc.sentence_index(a.field, before.end - 1) == doc.sentence_index(a.field, after.start)
    if near.distance is None:
        window = max(near.sentences, a.window, b.window)
        if max(a.first - b.last, b.first - a.last) > near.sentences or last - first > window:
            return None
        if last > first and doc.turns(a.field, first, last):
            return None
    else:
        # a few words apart, and no sentence's end between them: "compró la distribuidora
        # de Portugal. Opera en Chile." has Chile two words after Portugal's sentence
        if not one_sentence:
            return None
        window = max(a.window, b.window, last - first)
        if apart:  # count the words between them
            between = doc.word_index(a.field, after.start) - doc.word_index(a.field, before.end - 1) - 1
            if between > near.distance:
                return None
    # (a list stays within its sentence: "Hubo un bloqueo. Ayer, en Puno..." is none)
    if apart and one_sentence and after.start - before.end <= _LIST_CHARS \
            and _listed(doc.text[a.field][before.end:after.start],
                        doc.text[a.field][after.end:after.end + 40],
                        doc.text[a.field][max(0, before.start - 12):before.start]):
        return None
    return _Span(a.field, first, last, min(a.start, b.start), max(a.end, b.end), window)


def _match(topic: str, hits: list[Hit], doc: _Doc) -> TopicMatch:
    # in the order they stand, ties by term: the same text records the same evidence
    unique = sorted(set(hits), key=lambda h: (FIELDS.index(h.field), h.start, h.end, h.term))
    score = float(sum(2 if h.field == "title" else 1 for h in unique))
    in_text = [h for h in unique if h.field == "text"]
    if not in_text:
        return TopicMatch(topic, score, tuple(unique), doc.text["title"], None)
    # The sentence with the most different terms of the match; one that only repeats
    # the title counts last.
    terms: dict[int, set[str]] = {}
    for h in in_text:
        terms.setdefault(doc.sentence_index("text", h.start), set()).add(h.term)
    title = doc.text["title"].strip()

    def rank(i: int) -> tuple[int, bool]:
        start, end = doc.sentence("text", i)
        return len(terms[i]), doc.text["text"][start:end].strip() != title

    best = max(sorted(terms), key=rank)
    start, end = doc.sentence("text", best)
    return TopicMatch(topic, score, tuple(unique), _snippet(doc.text["text"], start, end),
                      (start, end))


def sentences_of(text: str, match: TopicMatch) -> list[str]:
    """The sentences of `text` that hold the evidence of `match`, in order."""
    doc = _Doc("", text)
    found = sorted({doc.sentence_index("text", h.start) for h in match.hits if h.field == "text"})
    return [text[slice(*doc.sentence("text", i))].strip() for i in found]


def _snippet(text: str, start: int, end: int) -> str:
    sentence = text[start:end].strip()
    if len(sentence) > SNIPPET_CHARS:
        sentence = sentence[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return sentence


def match_event(article_id: str, match: TopicMatch, tagger: "Tagger", at: datetime,
                retag: bool = False) -> ev.Event:
    """A TopicMatched that explains itself: the rule, the terms found with their
    offsets, and the sentence that shows it."""
    return ev.topic_matched(
        article_id, match.topic, tagger.version, at, score=match.score,
        terms=[h.as_dict() for h in match.hits], snippet=match.snippet,
        sentence=list(match.sentence) if match.sentence else None,
        rule=tagger.rule(match.topic), retag=retag)
