"""Story clusters: copies of one story across outlets (the same wire story, lightly
rewritten) grouped into one story. Pure.

Each extracted text gets a MinHash signature of its word bigrams (datasketch's), computed
once in the extraction worker and kept in `ArticleExtracted`. Clustering finds
candidates with MinHash LSH (`Bands`), then checks each with the exact Jaccard
similarity of the two texts' bigrams, because at the similarities that matter here (a
rewrite shares about a third of its bigrams, two stories on the same event about a
tenth) a 128-hash estimate is too rough to decide alone. An article joins the story of
its most similar earlier article; otherwise it starts a story of its own.
"""

from __future__ import annotations

import base64
import re
from collections import OrderedDict
from dataclasses import dataclass
from hashlib import sha1
from typing import Callable, Iterable

import numpy as np

from pipeline.core.text import fold
from pipeline.stories import METHOD, NUM_PERM, SAME_STORY  # noqa: F401 - METHOD: the clusterer's name

SEED = 1
SCHEME = "affine32"  # datasketch's 32-bit hashing: signatures fit in uint32
CANDIDATE_THRESHOLD = 0.15   # LSH: cast the net wide, then keep only what is SAME_STORY close
# Articles whose bigrams are kept at hand (about 6 KB each: some 60 MB when full). Too few
# and a story copied by dozens of outlets makes every new copy read its candidates'
# texts from the log again: with 1,000, 40 copies of 47 pages took 60 s instead of 2.
SHINGLE_CACHE = 10_000
# LSH: 51 bands of 2 hashes each, the split datasketch's MinHashLSH finds best for
# CANDIDATE_THRESHOLD with NUM_PERM permutations (tests/test_stories.py checks both).
BANDS, ROWS = 51, 2
_WORD = re.compile(r"\w+")
_NONE = np.empty(0, dtype=np.int64)


def bigrams(text: str) -> set[tuple[str, str]]:
    """The text's word bigrams, case and accents folded."""
    words = _WORD.findall(fold(text))
    return set(zip(words, words[1:]))


def shingles(text: str) -> np.ndarray:
    """The text's bigrams as a sorted array of their hashes, for exact Jaccard: an eighth
    of the memory of the bigrams themselves, and compared without Python objects.
    (Python's string hashes differ between processes: these are never stored.)"""
    return np.unique(np.fromiter(map(hash, bigrams(text)), dtype=np.int64))


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine permutations for SEED: h -> a*h + b mod 2**32, `a` odd."""
    random = np.random.RandomState(SEED)
    a = random.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = random.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()


def _premixed(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch mixes each hash before permuting it."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def signature(text: str) -> str:
    """The MinHash of a text's word bigrams, as compact text (base64 of 128 uint32).

    datasketch's MinHash (scheme "affine32", seed 1, the first 4 bytes of each bigram's
    SHA-1), bit for bit (tests/test_stories.py compares them), without datasketch: its
    package imports every sketch it has, and scipy with them, 0.6 s at the start of
    every extraction pool."""
    hashes = np.array([int.from_bytes(sha1(f"{a} {b}".encode()).digest()[:4], "little")
                       for a, b in bigrams(text)], dtype=np.uint32)
    if not hashes.size:
        values = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    else:
        values = (_premixed(hashes)[:, None] * _A + _B).min(axis=0)
    return base64.b64encode(values.astype("<u4").tobytes()).decode()


class Bands:
    """MinHash LSH over stored signatures: an article is a candidate for another when
    their signatures agree on every hash of at least one band, as in datasketch's
    MinHashLSH, without its package (see `signature`)."""

    def __init__(self) -> None:
        self._tables: list[dict[bytes, list[str]]] = [{} for _ in range(BANDS)]

    @staticmethod
    def _bands(sig: str) -> list[bytes]:
        values = np.frombuffer(base64.b64decode(sig), dtype="<u4")
        return [values[i * ROWS:(i + 1) * ROWS].tobytes() for i in range(BANDS)]

    def insert(self, key: str, sig: str) -> None:
        for table, band in zip(self._tables, self._bands(sig)):
            table.setdefault(band, []).append(key)

    def query(self, sig: str) -> set[str]:
        return {key for table, band in zip(self._tables, self._bands(sig))
                for key in table.get(band, ())}


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not a.size or not b.size:
        return 0.0
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared / (a.size + b.size - shared)


@dataclass(frozen=True)
class Assignment:
    article_id: str
    story_id: str
    similar_to: str | None      # the earlier article it was found to copy
    similarity: float | None    # exact Jaccard of their word bigrams


class Clusterer:
    """Stories so far (`known`: article id, story id, signature), to which new articles
    are assigned one by one, in the order they came in."""

    def __init__(self, known: Iterable[tuple[str, str, str]],
                 texts: Callable[[list[str]], dict[str, str]]):
        self._lsh = Bands()
        self._story: dict[str, str] = {}
        self._texts = texts
        # the bigrams of recent articles, the likeliest candidates; others are read again
        self._shingles: OrderedDict[str, np.ndarray] = OrderedDict()
        for article_id, story_id, sig in known:
            self._add(article_id, story_id, sig)

    def _add(self, article_id: str, story_id: str, sig: str) -> None:
        if article_id not in self._story:
            self._lsh.insert(article_id, sig)
            self._story[article_id] = story_id

    def _remember(self, article_id: str, hashes: np.ndarray) -> None:
        self._shingles[article_id] = hashes
        self._shingles.move_to_end(article_id)
        if len(self._shingles) > SHINGLE_CACHE:
            self._shingles.popitem(last=False)

    def assign(self, article_id: str, text: str, sig: str) -> Assignment:
        if article_id in self._story:
            return Assignment(article_id, self._story[article_id], None, None)
        candidates = self._lsh.query(sig)
        best, best_score = None, 0.0
        mine = shingles(text)
        missing = [c for c in candidates if c not in self._shingles]
        found = {c: self._shingles[c] for c in candidates if c in self._shingles}
        if missing:
            found |= {other: shingles(other_text)
                      for other, other_text in self._texts(missing).items()}
        for other in sorted(candidates):
            score = jaccard(mine, found.get(other, _NONE))
            if score >= SAME_STORY and score > best_score:
                best, best_score = other, score
        story = self._story[best] if best else article_id
        self._add(article_id, story, sig)
        self._remember(article_id, mine)
        for other in candidates:
            if other in found:
                self._remember(other, found[other])
        return Assignment(article_id, story, best, round(best_score, 3) if best else None)
