"""Extraction and tagging of one fetched page, as events. Pure, and the code that runs
in the extraction worker processes: it imports nothing that touches the store or the
network, so a worker stays small. The process that runs the pool imports this module
too, for the names of what its workers run, but never runs them: the extraction
libraries (trafilatura, htmldate, py3langid with numpy: about half a second) and the
MinHash signature (numpy: a quarter of a second) are imported where they run, in the
workers, whose fork server has loaded them already (`preload.py`)."""

from __future__ import annotations

import resource
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pipeline.core import events as ev
from pipeline.core.config import SitesFile
from pipeline.topics.definitions import TopicsFile
from pipeline.topics.tagging import Tagger, match_event


@dataclass(frozen=True)
class Page:
    """A fetched page, as a worker receives it."""
    article_id: str
    attempt: int
    url: str
    body: bytes
    charset: str | None
    feed_title: str | None
    feed_published: str | None


def analyse(page: Page, tagger: Tagger, at: datetime,
            sites: SitesFile | None = None) -> list[ev.Event]:
    from pipeline.extract.page import MIN_WORDS, decode, extract_page
    from pipeline.stories.clustering import signature  # numpy: not in the pool's process

    extraction = extract_page(decode(page.body, page.charset), page.url, page.feed_published,
                              prune=sites.drop_for(page.url) if sites else None)
    if extraction is None:
        return [ev.article_extraction_failed(page.article_id, page.attempt, at,
                                             error_class="no_text",
                                             detail=f"no main text of {MIN_WORDS} words or more")]
    found = [ev.article_extracted(page.article_id, page.attempt, at, **vars(extraction),
                                  date_flag=date_flag(extraction.published, at),
                                  minhash=signature(extraction.text))]
    for match in tagger.tag(extraction.text, extraction.title or page.feed_title or ""):
        found.append(match_event(page.article_id, match, tagger, at))
    return found


# Earlier than this, a news item's date is a placeholder (year 1, the Unix epoch), not a
# publication date. sql/views/articles.sql holds the same bound.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=timezone.utc)


def date_flag(published: str | None, at: datetime) -> str | None:
    """Why a publication date is not to be trusted as it stands: none was found, it cannot
    be read, it is in the future, or too early to be one (year 1, 1970). The date is
    kept as given either way; ordering, "new" and trend days go by when newsmon saw the
    article."""
    if not published:
        return "missing"
    try:
        when = datetime.fromisoformat(published)
    except ValueError:
        return "unreadable"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if when > at + timedelta(days=1):
        return "future"
    return "implausible" if when < EARLIEST_PLAUSIBLE else None


_TAGGER: Tagger | None = None
_SITES: SitesFile | None = None
# a tagger the fork server built (preload.py), with the definitions it was built from
_PREPARED: tuple[dict, Tagger] | None = None


def prepare_tagger(topics: TopicsFile) -> None:
    """Build the tagger in the fork server, for the topics a run most likely gives its
    workers: every worker forked from it starts with it built (40 ms each, and twice
    that while the workers start side by side beside the main process)."""
    global _PREPARED
    _PREPARED = (topics.model_dump(mode="json"), Tagger(topics))


def start_worker(topics: dict, sites: dict, memory_bytes: int | None) -> None:
    """Pool initializer: the tagger (the fork server's, when built from the same
    definitions) and site rules, once per worker; cap the worker's memory."""
    global _TAGGER, _SITES
    if _PREPARED is not None and _PREPARED[0] == topics:
        _TAGGER = _PREPARED[1]
    else:
        _TAGGER = Tagger(TopicsFile.model_validate(topics))
    _SITES = SitesFile.model_validate(sites)
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def read_in_worker(url: str, body: bytes, charset: str | None) -> tuple[str | None, str] | None:
    """The title and main text of a page read again (a recheck); None when it has none."""
    from pipeline.extract.page import decode, extract_page

    extraction = extract_page(decode(body, charset), url,
                              prune=_SITES.drop_for(url) if _SITES else None)
    return None if extraction is None else (extraction.title, extraction.text)


def analyse_in_worker(page: Page, at: datetime) -> list[ev.Event]:
    assert _TAGGER is not None, "worker started without its tagger"
    return analyse(page, _TAGGER, at, _SITES)
