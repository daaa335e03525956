"""Re-extraction (I/O): stored articles extracted again from the pages the archive kept,
when extraction has improved (a new trafilatura, new code in `extract/`, new rules in the
sites file), without fetching anything again.

Versioned like re-tagging: the extractor's version is a hash of trafilatura's version,
the extraction code and the site rules. An article whose title, text, date or language
comes out differently gets a new `ArticleExtracted` (marked `reextracted` with that
version), and its tags are worked out again on the new text: `TopicMatched` (marked
`retag`: news for digests, not for immediate alerts) and `TopicUnmatched` where a topic
no longer matches. Ids carry the version, so running it twice adds nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from pipeline.core import events as ev
from pipeline.core.config import load_sites
from pipeline.core.settings import Settings
from pipeline.extract.page import EXTRACTOR
from pipeline.extract.pool import ExtractionPool
from pipeline.ingest import archive
from pipeline.ingest.articles import ArticlePlan
from pipeline.ingest.net import Response
from pipeline.store import Store
from pipeline.topics.definitions import TopicsFile
from pipeline.topics.tagging import Tagger

PAGE = 500  # articles read from the log at a time
COMPARED = ("title", "text", "published", "language")


def extractor_version(settings: Settings) -> str:
    """What extraction is now: trafilatura, newsmon's extraction code, the site rules."""
    code = b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py"))
                    if p.name not in ("reextract.py", "pool.py", "__init__.py"))
    rules = json.dumps(load_sites(settings.sites).model_dump(mode="json"), sort_keys=True)
    return ev.stable_id("extractor", EXTRACTOR, hashlib.sha256(code).hexdigest(), rules, size=6)


@dataclass
class Outcome:
    version: str = ""
    read: int = 0              # articles read again from the archive
    changed: int = 0
    failed: int = 0            # no text now, or the worker failed: the old extraction stays
    missing: int = 0           # their archive file is gone
    samples: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # id, before, after
    appended: int = 0


def reextract(store: Store, settings: Settings, topics: TopicsFile, run_id: str,
              clock: Callable[[], datetime], apply: bool = True,
              progress: Callable[[int], None] = lambda n: None) -> Outcome:
    """Extract every archived article again; append what changed unless `apply` is false."""
    folder = archive.folder_for(settings)
    outcome = Outcome(version=extractor_version(settings))
    if folder is None or not archive.exists(folder):
        return outcome
    ruleset = Tagger(topics).version
    with ExtractionPool(settings, topics, clock) as pool:
        after = 0
        while rows := store.rows("archived_articles", {"after": after, "limit": PAGE}, missing_ok=False):
            found = asyncio.run(_page(rows, folder, pool, outcome, ruleset, clock))
            if apply and found:
                outcome.appended += len(store.append(found, run_id))
            progress(len(rows))
            after = rows[-1]["seq"]
    return outcome


async def _page(rows: list[dict], folder: Path | str, pool: ExtractionPool, outcome: Outcome,
                ruleset: str, clock: Callable[[], datetime]) -> list[ev.Event]:
    async def one(row: dict) -> list[ev.Event]:
        try:
            url, status, headers, body = await asyncio.to_thread(archive.read, folder, row)
        except FileNotFoundError:
            outcome.missing += 1
            return []
        page = Response(url, status, {k.lower(): v for k, v in headers}, body)
        plan = ArticlePlan(row["article_id"], None, row["url"], row["feed_title"], row["feed_published"], 0)
        events = await pool.analyse(plan, page)
        outcome.read += 1
        return _changes(row, events, outcome, ruleset, clock())

    return [e for found in await asyncio.gather(*(one(r) for r in rows)) for e in found]


def _changes(row: dict, events: list[ev.Event], outcome: Outcome, ruleset: str,
             at: datetime) -> list[ev.Event]:
    """The events that record what a new extraction changed, under ids of this version."""
    extracted = events[0]
    if extracted.type != ev.ARTICLE_EXTRACTED:
        outcome.failed += 1
        return []
    if all(extracted.payload.get(k) == row[k] for k in COMPARED):
        return []
    outcome.changed += 1
    if len(outcome.samples) < 5:
        outcome.samples.append((row["article_id"], row["title"], extracted.payload.get("title")))
    version = outcome.version
    matched = {e.topic for e in events if e.type == ev.TOPIC_MATCHED}
    found = [replace(extracted, payload={**extracted.payload, "attempt": None, "reextracted": version})]
    found += [replace(e, payload={**e.payload, "retag": True, "reextracted": version})
              for e in events[1:] if e.type == ev.TOPIC_MATCHED]
    found += [ev.topic_unmatched(row["article_id"], topic, ruleset, at, reextracted=version)
              for topic in row["matched"] if topic not in matched]
    # ids of this extractor version: the same change made twice is one
    return [replace(e, event_id=ev.stable_id(e.event_id, "reextract", version)) for e in found]
