"""Rechecks (I/O): matched articles fetched again on a schedule (`NEWSMON_RECHECK`, a day
and a week after their first fetch by default), to record when an outlet edits one or
takes it down. Each check asks conditionally (the ETag and Last-Modified of the version
last read), reads the page's title and main text as extraction does, and ends as one
event: `ArticleRechecked` (the same, not modified, or not read: a failure is tried again
by the next run, three times in all), `ArticleRevised` (with a compact diff; the page
archived), or `ArticleRemoved` (a 404 or 410, or a redirect to a home or section page).
Fetching goes through the same fetcher as first fetches: the same per-host limits,
deadline and address checks.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable
from urllib.parse import urlsplit

from pipeline.core import events as ev
from pipeline.core.settings import Settings
from pipeline.ingest.archive import Archive, folder_for
from pipeline.ingest.articles import archived, validators
from pipeline.ingest.net import Fetcher, FetchError, Response
from pipeline.store import Store

TRIES = 3            # failed checks that end a stage of the schedule
DIFF_LINES = 12      # lines removed and added, each, kept in a revision's diff
DIFF_CHARS = 400     # characters of each line kept


class ReadError(Exception):
    """The page was fetched, but no worker could read it."""

    def __init__(self, error_class: str, detail: str):
        super().__init__(detail)
        self.error_class, self.detail = error_class, detail


# a fetched page -> its (title, main text), or None when it has no main text
Reader = Callable[[Response], Awaitable[tuple[str | None, str] | None]]


@dataclass(frozen=True)
class RecheckPlan:
    article_id: str
    check_no: int
    tries: int
    url: str
    final_url: str | None
    etag: str | None
    last_modified: str | None
    title: str | None
    text: str | None
    feed_published: str | None


def plan_rechecks(store: Store, settings: Settings, now: datetime) -> list[RecheckPlan]:
    """The matched articles due to be checked again now."""
    if not settings.recheck:
        return []
    rows = store.rows("plan_rechecks", {"delays": list(settings.recheck), "now": now})
    return [RecheckPlan(**row) for row in rows if row["url"]]


def redirected_away(before: str, after: str) -> bool:
    """Whether a redirect from an article's page to `after` means it is gone: to another
    site, to the home page, or up to a section its address sat in. A redirect to another
    article address (a new slug after an edit) is followed and read."""
    old, new = urlsplit(before), urlsplit(after)
    if (old.hostname or "").removeprefix("www.") != (new.hostname or "").removeprefix("www."):
        return True
    old_path, new_path = old.path.rstrip("/"), new.path.rstrip("/")
    if old_path == new_path:
        return False
    return not new_path or old_path.startswith(new_path + "/")


def changes(title_before: str | None, text_before: str | None, title: str | None,
            text: str) -> dict | None:
    """What changed between two readings of a page, compactly: the title before and
    after (when it changed), the paragraphs removed and added; None when nothing did
    (spacing aside)."""
    def lines(value: str | None) -> list[str]:
        return [" ".join(line.split()) for line in (value or "").splitlines() if line.strip()]

    old, new = lines(text_before), lines(text)
    retitled = " ".join((title_before or "").split()) != " ".join((title or "").split())
    if old == new and not retitled:
        return None
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            removed += old[i1:i2]
        if op in ("replace", "insert"):
            added += new[j1:j2]
    return {"title": [title_before, title] if retitled else None,
            "removed": [line[:DIFF_CHARS] for line in removed[:DIFF_LINES]],
            "added": [line[:DIFF_CHARS] for line in added[:DIFF_LINES]],
            "lines_removed": len(removed), "lines_added": len(added)}


async def _check(plan: RecheckPlan, fetcher: Fetcher, read: Reader, settings: Settings,
                 clock: Callable[[], datetime], archive: Archive | None) -> ev.Event:
    ask = {"if-none-match": plan.etag, "if-modified-since": plan.last_modified}
    try:
        response = await fetcher.get(plan.url, max_bytes=settings.max_page_bytes,
                                     headers={k: v for k, v in ask.items() if v})
    except FetchError as error:
        if error.status in (404, 410):
            return ev.article_removed(plan.article_id, plan.check_no, clock(), reason="gone",
                                      status=error.status, url=plan.url, detail=error.detail)
        return _failed(plan, clock(), error.error_class, error.detail, status=error.status)
    if response.status == 304:
        return ev.article_rechecked(plan.article_id, plan.check_no, clock(),
                                    outcome="not_modified", status=304, url=plan.url)
    if redirected_away(plan.final_url or plan.url, response.url):
        return ev.article_removed(plan.article_id, plan.check_no, clock(), reason="redirected",
                                  status=response.status, url=plan.url, final_url=response.url)
    try:
        found = await read(response)
    except ReadError as error:
        return _failed(plan, clock(), error.error_class, error.detail, status=response.status)
    about = {"status": response.status, "url": plan.url, "final_url": response.url,
             "content_sha256": hashlib.sha256(response.body).hexdigest(), **validators(response)}
    if found is None:  # a page without an article on it now: not read, told, tried again
        return _failed(plan, clock(), "no_text", "no main text on the page now", **about)
    title, text = found
    diff = changes(plan.title, plan.text, title, text)
    if diff is None:
        return ev.article_rechecked(plan.article_id, plan.check_no, clock(), outcome="unchanged",
                                    **about)
    revised = ev.article_revised(plan.article_id, plan.check_no, clock(), **about,
                                 title_before=plan.title, title=title, text=text, diff=diff)
    if archive is not None:  # each version read is kept once: an unchanged page is not
        revised = await archived(archive, response, revised)
    return revised


def _failed(plan: RecheckPlan, at: datetime, error_class: str, detail: str, **about) -> ev.Event:
    return ev.article_rechecked(plan.article_id, plan.check_no, at, outcome="failed",
                                final=plan.tries + 1 >= TRIES, error_class=error_class,
                                detail=detail, **{"url": plan.url, **about})


async def recheck_articles(plans: list[RecheckPlan], settings: Settings, read: Reader,
                           clock: Callable[[], datetime],
                           done: Callable[[ev.Event], None]) -> None:
    """Check every planned article again; `done` receives each check's event."""
    folder = folder_for(settings)
    with ExitStack() as stack:
        archive = stack.enter_context(Archive(folder)) if folder and plans else None
        async with Fetcher(settings) as fetcher:
            async def one(plan: RecheckPlan) -> None:
                try:
                    done(await _check(plan, fetcher, read, settings, clock, archive))
                except Exception as error:  # a fault nobody foresaw: told, tried again
                    done(_failed(plan, clock(), "internal", f"{type(error).__name__}: {error}"))

            await asyncio.gather(*(one(plan) for plan in plans))
