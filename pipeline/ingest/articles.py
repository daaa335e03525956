"""Fetching the planned articles (I/O): each page is fetched here, concurrently
(asyncio), and handed to an extractor that returns its events (`extract/pool.py` runs it
in worker processes). Whatever goes wrong ends as an event with an error class.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Awaitable, Callable

from pipeline.core import events as ev
from pipeline.core.settings import Settings
from pipeline.ingest.archive import Archive, folder_for, record
from pipeline.ingest.net import Fetcher, FetchError, Response, refusal
from pipeline.store import Store


@dataclass(frozen=True)
class ArticlePlan:
    article_id: str
    feed_id: str | None
    url: str | None
    title: str | None
    published: str | None
    attempt: int


class NoWorker(Exception):
    """What an extractor raises when it has no worker to extract with (all died
    starting): the fault is ours, not the page's."""


# (the plan, the page fetched, its ArticleFetched) -> the events of its extraction
Extractor = Callable[[ArticlePlan, Response, ev.Event], Awaitable[list[ev.Event]]]


def plan_articles(store: Store, settings: Settings) -> tuple[list[ArticlePlan], list[ArticlePlan]]:
    """Articles to fetch now, and those held back because offline mode forbids their host
    (they stay pending for a run that may fetch them)."""
    rows = store.rows("plan_articles", {"max_attempts": settings.max_fetch_attempts})
    plans = [ArticlePlan(**row) for row in rows]
    ready: list[ArticlePlan] = []
    held: list[ArticlePlan] = []
    for plan in plans:
        offline = (settings.offline and plan.url and refusal(plan.url, settings) or "")
        (held if offline.startswith("offline") else ready).append(plan)
    return ready, held


def _is_html(content_type: str) -> bool:
    return not content_type or "html" in content_type


async def _process_one(plan: ArticlePlan, fetcher: Fetcher, extract: Extractor,
                       settings: Settings, clock: Callable[[], datetime],
                       archive: Archive | None = None) -> list[ev.Event]:
    """The events of one article; whatever goes wrong ends as an event with a class."""
    try:
        return await _fetch_and_extract(plan, fetcher, extract, settings, clock, archive)
    except NoWorker as error:
        return [_workers_down(plan, error, clock)]
    except Exception as error:  # a fault nobody foresaw: recorded, retried on a later run
        return [ev.article_fetch_failed(plan.article_id, plan.attempt, clock(), url=plan.url,
                                        error_class="internal", retryable=True,
                                        detail=f"{type(error).__name__}: {error}")]


async def _fetch_and_extract(plan: ArticlePlan, fetcher: Fetcher, extract: Extractor,
                             settings: Settings, clock: Callable[[], datetime],
                             archive: Archive | None) -> list[ev.Event]:
    if not plan.url:
        return [ev.article_fetch_failed(plan.article_id, plan.attempt, clock(), url=None,
                                        error_class="no_url", retryable=False,
                                        detail="the feed entry names no URL")]
    try:
        response = await fetcher.get(plan.url, max_bytes=settings.max_page_bytes,
                                     accept=_is_html)
    except FetchError as error:
        return [ev.article_fetch_failed(plan.article_id, plan.attempt, clock(), url=plan.url,
                                        error_class=error.error_class, detail=error.detail,
                                        status=error.status, retryable=error.retryable)]
    fetched = ev.article_fetched(
        plan.article_id, plan.attempt, clock(), url=plan.url, final_url=response.url,
        status=response.status, content_sha256=hashlib.sha256(response.body).hexdigest(),
        bytes=len(response.body), content_type=response.content_type,
        encoding=response.charset, elapsed_ms=response.elapsed_ms,
        redirects=response.redirects, **validators(response))
    if archive is not None:  # kept before it is recorded: the event names where
        fetched = await archived(archive, response, fetched)
    if len(response.body) > settings.max_extract_bytes:
        return [fetched, *_following(fetched, [ev.article_extraction_failed(
            plan.article_id, plan.attempt, clock(), error_class="too_large",
            detail=f"{len(response.body)} bytes of HTML, over {settings.max_extract_bytes}")])]
    return [fetched, *_following(fetched, await extract(plan, response, fetched))]


async def archived(archive: Archive, response: Response, event: ev.Event) -> ev.Event:
    """`event` (the page's fetch, or its revision) naming where `archive` keeps the page:
    the record is made in a thread while other pages are on the way, and written here."""
    made = await asyncio.to_thread(record, response.url, response.status, dict(response.headers),
                                   response.body, event.occurred_at, event.event_id)
    return replace(event, payload={**event.payload, **archive.put(*made).as_payload()})


def validators(response: Response) -> dict[str, str]:
    """What a later conditional request for the page can send back (a recheck)."""
    return {k: response.headers[h] for k, h in (("etag", "etag"), ("last_modified", "last-modified"))
            if response.headers.get(h)}


def _workers_down(plan: ArticlePlan, error: Exception, clock: Callable[[], datetime]) -> ev.Event:
    """No worker to extract the page: the attempt ends as a fetch to try again on a later
    run, not as a page without text for ever."""
    return ev.article_fetch_failed(plan.article_id, plan.attempt, clock(), url=plan.url,
                                   error_class="workers_down", retryable=True,
                                   detail=f"no extraction worker: {error}")


def _following(fetched: ev.Event, events: list[ev.Event]) -> list[ev.Event]:
    """What came of a fetch, to be recorded only with it: when two runs at once fetched
    the same attempt and one timed out, the log keeps one account of the attempt."""
    return [replace(e, follows=fetched.event_id) for e in events]


async def fetch_articles(plans: list[ArticlePlan], settings: Settings, extract: Extractor,
                         clock: Callable[[], datetime],
                         done: Callable[[list[ev.Event]], None]) -> None:
    """Fetch every planned article and hand each page to `extract`; `done` receives the
    events of each article as it finishes (the caller commits them in batches)."""
    folder = folder_for(settings)
    with ExitStack() as stack:
        archive = stack.enter_context(Archive(folder)) if folder and plans else None
        async with Fetcher(settings) as fetcher:
            # Bounds the pages held in memory between fetch and extraction.
            in_flight = asyncio.Semaphore(max(settings.concurrency, 2 * settings.workers))

            async def one(plan: ArticlePlan) -> None:
                async with in_flight:
                    done(await _process_one(plan, fetcher, extract, settings, clock, archive))

            await asyncio.gather(*(one(plan) for plan in plans))
