"""The process stage: fetch each planned article, extract its text, tag it.

Fetching is concurrent in the calling process (asyncio); extraction and tagging run in
a pool of worker processes (pebble), one page at a time with a time limit, so every
core extracts and one pathological page costs a killed worker, not the run. Workers
never see the store: they get a page and return events.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import multiprocessing.forkserver
import sys
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.machinery import ModuleSpec
from typing import Callable, Iterator

from pebble import ProcessExpired, ProcessPool

from pipeline.core import events as ev
from pipeline.extract.worker import Page, analyse_in_worker, start_worker
from pipeline.core.config import TopicsFile, load_sites
from pipeline.ingest.net import FetchError, Fetcher, refusal
from pipeline.core.settings import Settings
from pipeline.store import Store


@dataclass(frozen=True)
class ArticlePlan:
    article_id: str
    feed_id: str | None
    url: str | None
    title: str | None
    published: str | None
    attempt: int


def plan_articles(store: Store, settings: Settings) -> tuple[list[ArticlePlan], list[ArticlePlan]]:
    """Articles to fetch now, and those held back because offline mode forbids their host
    (they stay pending for a run that may fetch them)."""
    rows = store.rows("plan_articles", {"max_attempts": settings.max_fetch_attempts})
    plans = [ArticlePlan(**row) for row in rows]
    ready, held = [], []
    for plan in plans:
        offline = (settings.offline and plan.url and refusal(plan.url, settings) or "")
        (held if offline.startswith("offline") else ready).append(plan)
    return ready, held


def _is_html(content_type: str) -> bool:
    return not content_type or "html" in content_type


# -- in the calling process -------------------------------------------------------

async def _process_one(plan: ArticlePlan, fetcher: Fetcher, pool: ProcessPool,
                       settings: Settings, clock: Callable[[], datetime]) -> list[ev.Event]:
    """The events of one article; whatever goes wrong ends as an event with a class."""
    try:
        return await _fetch_and_analyse(plan, fetcher, pool, settings, clock)
    except Exception as error:  # a fault nobody foresaw: recorded, retried on a later run
        return [ev.article_fetch_failed(plan.article_id, plan.attempt, clock(), url=plan.url,
                                        error_class="internal", retryable=True,
                                        detail=f"{type(error).__name__}: {error}")]


async def _fetch_and_analyse(plan: ArticlePlan, fetcher: Fetcher, pool: ProcessPool,
                             settings: Settings, clock: Callable[[], datetime]) -> list[ev.Event]:
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
        redirects=response.redirects)
    if len(response.body) > settings.max_extract_bytes:
        return [fetched, *_following(fetched, [ev.article_extraction_failed(
            plan.article_id, plan.attempt, clock(), error_class="too_large",
            detail=f"{len(response.body)} bytes of HTML, over {settings.max_extract_bytes}")])]
    page = Page(plan.article_id, plan.attempt, response.url, response.body, response.charset,
                plan.title, plan.published)
    try:
        future = pool.schedule(analyse_in_worker, args=(page, clock()),
                               timeout=settings.extract_timeout)
    except RuntimeError as error:  # pebble's word for a pool that broke or stopped
        return [_workers_down(plan, error, clock)]
    try:
        return [fetched, *_following(fetched, await asyncio.wrap_future(future))]
    except BrokenProcessPool as error:
        return [_workers_down(plan, error, clock)]
    except FutureTimeout:
        error_class, detail = "timeout", f"extraction took over {settings.extract_timeout:g} s"
    except MemoryError:
        error_class, detail = "too_large", "extraction ran out of its memory limit"
    except ProcessExpired as error:
        error_class, detail = "worker_died", f"the extraction worker died ({error})"
    except Exception as error:  # a bug or a page the libraries choke on: record, go on
        error_class, detail = "extractor_error", f"{type(error).__name__}: {error}"
    return [fetched, *_following(fetched, [ev.article_extraction_failed(
        plan.article_id, plan.attempt, clock(), error_class=error_class, detail=detail)])]


def _workers_down(plan: ArticlePlan, error: Exception, clock: Callable[[], datetime]) -> ev.Event:
    """No worker to extract the page (all died starting): the fault is ours, not the
    page's, so the attempt ends as a fetch to try again on a later run, not as a page
    without text for ever."""
    return ev.article_fetch_failed(plan.article_id, plan.attempt, clock(), url=plan.url,
                                   error_class="workers_down", retryable=True,
                                   detail=f"no extraction worker: {type(error).__name__}: {error}")


def _following(fetched: ev.Event, events: list[ev.Event]) -> list[ev.Event]:
    """What came of a fetch, to be recorded only with it: when two runs at once fetched
    the same attempt and one timed out, the log keeps one account of the attempt."""
    return [replace(e, follows=fetched.event_id) for e in events]


async def _process(plans: list[ArticlePlan], settings: Settings, pool: ProcessPool,
                   clock: Callable[[], datetime],
                   done: Callable[[list[ev.Event]], None]) -> None:
    async with Fetcher(settings) as fetcher:
        # Bounds the pages held in memory between fetch and extraction.
        in_flight = asyncio.Semaphore(max(settings.concurrency, 2 * settings.workers))

        async def one(plan: ArticlePlan) -> None:
            async with in_flight:
                done(await _process_one(plan, fetcher, pool, settings, clock))

        await asyncio.gather(*(one(plan) for plan in plans))


def process_articles(plans: list[ArticlePlan], settings: Settings, topics: TopicsFile,
                     clock: Callable[[], datetime],
                     done: Callable[[list[ev.Event]], None]) -> None:
    """Fetch, extract and tag every planned article; `done` receives the events of each
    article as it finishes (the caller commits them in batches)."""
    if not plans:
        return
    if multiprocessing.current_process().daemon:
        # Celery's default prefork pool runs tasks in daemonic processes, which may not
        # start the extraction workers: every article would fail the same way.
        raise RuntimeError("extraction needs worker processes, and this process is daemonic "
                           "(a Celery prefork pool?): run Celery workers with "
                           "[celery] pool = solo, one task each, several per machine")
    memory = settings.extract_memory_mb * 2**20 if settings.extract_memory_mb else None
    with _main_script_not_rerun(), \
            ProcessPool(max_workers=settings.workers, initializer=start_worker,
                        initargs=(topics.model_dump(mode="json"),
                                  load_sites(settings.sites).model_dump(mode="json"), memory),
                        context=worker_context()) as pool:
        asyncio.run(_process(plans, settings, pool, clock, done))


def worker_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that has loaded what they need (`preload`),
    not forked from this process, which would copy its threads and address space
    (DuckDB, the event loop) into every worker and count them against its memory
    limit, and not spawned, which makes every worker load it all again."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.extract.preload"])
    return context


def warm_up_workers() -> None:
    """Start the fork server now, so that it loads what the workers need (1.1 to 1.3 s
    of CPU) while this process polls the feeds and waits on the network. A run that
    finds nothing to fetch has spent that for nothing, on another core."""
    with _main_script_not_rerun():
        worker_context()  # tells the fork server what to load
        multiprocessing.forkserver.ensure_running()


@contextmanager
def _main_script_not_rerun() -> Iterator[None]:
    """A process started by spawn or by a fork server first runs the parent's main module
    again (`python -m x`: x; a script: the script), unless that is named `__main__`. Our
    workers need nothing from it, it costs them start-up time, and some fail there:
    under Airflow's Celery worker it is `bin/airflow`, which imports Airflow, which
    refuses the database URL its task processes are given; every worker died at start
    and pebble started another, for ever. Pebble may start workers at any time while the
    pool is open, so the name stays until it closes."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = spec
