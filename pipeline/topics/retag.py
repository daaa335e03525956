"""Re-tagging: stored articles through a ruleset, as a replay of the log. The decisions
are pure (`retag_article`); reading pages of articles and appending is the shell's.

A re-tag appends TopicMatched (marked `retag`) where the new rules match and the
current state does not say so under this ruleset version, and TopicUnmatched where
they no longer match; ids carry the version, so running it twice adds nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from pipeline.core import events as ev
from pipeline.store import Store
from pipeline.topics.tagging import Tagger, match_event

PAGE = 1000


@dataclass
class Diff:
    """What a ruleset does to the stored articles, against their current state."""
    articles: int = 0
    added: Counter = field(default_factory=Counter)        # topic -> articles newly matched
    dropped: Counter = field(default_factory=Counter)      # topic -> articles no longer matched
    kept: Counter = field(default_factory=Counter)
    samples: dict = field(default_factory=dict)            # (added|dropped, topic) -> titles

    def note(self, kind: str, topic: str, title: str | None, keep: int = 5) -> None:
        getattr(self, kind)[topic] += 1
        sample = self.samples.setdefault((kind, topic), [])
        if len(sample) < keep:
            sample.append(title or "(no title)")


def stored_articles(store: Store, page: int = PAGE) -> Iterator[dict]:
    after = 0
    while rows := store.rows("stored_articles", {"after": after, "limit": page}, missing_ok=False):
        yield from rows
        after = rows[-1]["discovered_seq"]


def retag_article(row: dict, tagger: Tagger, at: datetime, diff: Diff) -> list[ev.Event]:
    current = {m["topic"]: m["version"] for m in row["matched"]}
    found = []
    for match in tagger.tag(row["text"] or "", row["title"] or ""):
        if match.topic not in current:
            diff.note("added", match.topic, row["title"])
        else:
            diff.kept[match.topic] += 1
        if current.pop(match.topic, None) != tagger.version:
            found.append(match_event(row["article_id"], match, tagger, at, retag=True))
    for topic, version in current.items():
        diff.note("dropped", topic, row["title"])
        found.append(ev.topic_unmatched(row["article_id"], topic, tagger.version, at,
                                        previous_version=version))
    diff.articles += 1
    return found


def retag(store: Store, tagger: Tagger, run_id: str, at: datetime, apply: bool = True) -> Diff:
    """Replay every stored article through `tagger`; append the changes unless `apply`
    is false (a backtest)."""
    diff = Diff()
    batch: list[ev.Event] = []
    for row in stored_articles(store):
        batch += retag_article(row, tagger, at, diff)
        if apply and len(batch) >= PAGE:
            store.append(batch, run_id)
            batch = []
    if apply and batch:
        store.append(batch, run_id)
    return diff
