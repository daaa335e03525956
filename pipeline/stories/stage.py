"""The story stage (I/O around `clustering.py`): put every newly extracted article in a
story, its own or that of an earlier copy, and record it as a StoryClustered."""

from __future__ import annotations

import importlib
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from pipeline.core import events as ev
from pipeline.store import Store
from pipeline.stories import METHOD

if TYPE_CHECKING:
    from pipeline.stories import clustering

CLUSTER_BATCH = 500  # articles
STORY_WINDOW = timedelta(days=30)  # how far back a copy's original may be


class Clustering:
    """Called, clusters the articles committed and not yet in a story, CLUSTER_BATCH at a
    time, each batch committed, so memory stays flat. `stories_of` clusters articles not
    yet committed, for their own commit (`newsmon run`'s process stage: no second commit,
    no texts read back). Both go on with the same clusterer, in the order they are
    given articles. The stories come out the same; only when a copy is committed before
    its original (discovered first, extracted later) is the copy the one the story is
    named after. `recorded` receives each batch's events and the ids the store appended;
    `copies` counts the copies found."""

    def __init__(self, store: Store, run_id: str, clock: Callable[[], datetime],
                 recorded: Callable[[list[ev.Event], set[str]], None] = lambda e, n: None):
        self.store, self.run_id, self.clock, self.recorded = store, run_id, clock, recorded
        self.copies = 0
        self._clusterer: clustering.Clusterer | None = None

    def __call__(self) -> None:
        while True:
            new = self.store.rows("unclustered_articles", {"method": METHOD, "limit": CLUSTER_BATCH})
            if not new:
                return
            events = self._assign([(row["article_id"], row["text"] or "", row["minhash"]) for row in new])
            self.recorded(events, self.store.append(events, self.run_id))
            if len(new) < CLUSTER_BATCH:
                return

    def stories_of(self, extracted: list[ev.Event]) -> list[ev.Event]:
        """The StoryClustered of articles about to be committed (their ArticleExtracted,
        in the order they were discovered), to be committed with them: a run's articles
        are put in stories in their own commit, not read back and committed again. Each
        is recorded only with the fetch its extraction follows, as the extraction is.
        (When another run recorded that fetch first, the log keeps that run's story for
        the article; a later copy of it in this run joins the story this run found, so
        such a race can at worst split a story in two.)"""
        return [replace(story, follows=extraction.follows) for story, extraction in zip(
            self._assign([(e.article_id or "", e.payload.get("text") or "", e.payload["minhash"])
                          for e in extracted]), extracted)]

    def warm_up(self) -> None:
        """Import the clusterer (numpy: a quarter of a second) in a thread of its own, so
        that a run's first commit, which now clusters its articles, does not wait for it:
        it is not imported when the run starts, nor on the way to its first fetch."""
        threading.Thread(target=importlib.import_module, args=("pipeline.stories.clustering",),
                         daemon=True, name="newsmon-stories-import").start()

    def _assign(self, articles: list[tuple[str, str, str]]) -> list[ev.Event]:
        if self._clusterer is None:
            self._clusterer = self._start()
        at = self.clock()
        events = []
        for article_id, text, minhash in articles:
            found = self._clusterer.assign(article_id, text, minhash)
            events.append(ev.story_clustered(found.article_id, found.story_id, METHOD, at,
                                             similar_to=found.similar_to, similarity=found.similarity))
            self.copies += bool(found.similar_to)
        return events

    def _start(self) -> clustering.Clusterer:
        from pipeline.stories import clustering
        known = self.store.rows("story_signatures", {"method": METHOD,
                                                     "since": self.clock() - STORY_WINDOW})

        def texts(ids: list[str]) -> dict[str, str]:
            return {r["article_id"]: r["text"]
                    for r in self.store.rows("article_texts", {"ids": ids})}

        return clustering.Clusterer([(r["article_id"], r["story_id"], r["minhash"])
                                     for r in known], texts)
