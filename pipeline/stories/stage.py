"""The story stage (I/O around `clustering.py`): put every newly extracted article in a
story, its own or that of an earlier copy, and record it as a StoryClustered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from pipeline.core import events as ev
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.stories import clustering

CLUSTER_BATCH = 500  # articles
STORY_WINDOW = timedelta(days=30)  # how far back a copy's original may be


class Clustering:
    """Clusters the articles committed and not yet in a story, CLUSTER_BATCH at a time,
    each batch committed, so memory stays flat. Called again, it goes on with the same
    clusterer, so `newsmon run` can cluster after every commit of the process stage
    instead of all at the end, while the workers go on extracting. The stories come out
    the same; only when a copy is committed before its original (discovered first,
    extracted later) is the copy the one the story is named after. `recorded` receives
    each batch's events and the ids the store appended; returns the copies found."""

    def __init__(self, store: Store, run_id: str, clock: Callable[[], datetime],
                 recorded: Callable[[list[ev.Event], set[str]], None] = lambda e, n: None):
        self.store, self.run_id, self.clock, self.recorded = store, run_id, clock, recorded
        self.copies = 0
        self._clusterer: clustering.Clusterer | None = None

    def __call__(self) -> None:
        # numpy (a quarter of a second) is imported at the first clustering, not when the
        # run starts: `newsmon run` reaches its first commit without it
        from pipeline.stories import clustering
        while True:
            new = self.store.rows("unclustered_articles", {"method": clustering.METHOD,
                                                           "limit": CLUSTER_BATCH})
            if not new:
                return
            if self._clusterer is None:
                self._clusterer = self._start()
            at = self.clock()
            events = []
            for row in new:
                found = self._clusterer.assign(row["article_id"], row["text"] or "", row["minhash"])
                events.append(ev.story_clustered(found.article_id, found.story_id,
                                                 clustering.METHOD, at,
                                                 similar_to=found.similar_to,
                                                 similarity=found.similarity))
                self.copies += bool(found.similar_to)
            self.recorded(events, self.store.append(events, self.run_id))
            if len(new) < CLUSTER_BATCH:
                return

    def _start(self) -> clustering.Clusterer:
        from pipeline.stories import clustering
        known = self.store.rows("story_signatures", {"method": clustering.METHOD,
                                                     "since": self.clock() - STORY_WINDOW})

        def texts(ids: list[str]) -> dict[str, str]:
            return {r["article_id"]: r["text"]
                    for r in self.store.rows("article_texts", {"ids": ids})}

        return clustering.Clusterer([(r["article_id"], r["story_id"], r["minhash"])
                                     for r in known], texts)
