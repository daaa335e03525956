"""The poll stage: plan which feeds to poll, poll them concurrently, turn each answer
into events. Planning reads the store; polling only returns events.

Polls are conditional (ETag, Last-Modified) and a body whose hash has not changed
is not parsed again, so most polls of a quiet feed cost one small request.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from . import events as ev
from .config import Feed
from .feeds import articles, parse_feed
from .net import FetchError, Fetcher, Response
from .settings import Settings
from .store import Store

SUMMARY_CHARS = 1000


@dataclass(frozen=True)
class PollPlan:
    feed_id: str
    url: str
    poll_no: int
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None


def plan_polls(store: Store, feeds: Iterable[Feed]) -> list[PollPlan]:
    history = {row["feed_id"]: row for row in store.rows("plan_polls")}
    plans = []
    for feed in feeds:
        row = history.get(feed.id, {})
        # Validators belong to the URL they were answered for.
        same_url = row.get("url") == feed.url
        plans.append(PollPlan(
            feed.id, feed.url, (row.get("polls") or 0) + 1,
            row.get("etag") if same_url else None,
            row.get("last_modified") if same_url else None,
            row.get("content_sha256") if same_url else None))
    return plans


def poll_events(plan: PollPlan, response: Response, at: datetime) -> list[ev.Event]:
    """The events one answer to a poll means."""
    common = {"url": plan.url, "final_url": response.url, "status": response.status,
              "elapsed_ms": response.elapsed_ms,
              "etag": response.headers.get("etag") or plan.etag,
              "last_modified": response.headers.get("last-modified") or plan.last_modified}
    if response.status == 304:
        return [ev.feed_polled(plan.feed_id, plan.poll_no, at, not_modified=True, entries=None,
                               content_sha256=plan.content_sha256, **common)]
    digest = hashlib.sha256(response.body).hexdigest()
    if digest == plan.content_sha256:
        return [ev.feed_polled(plan.feed_id, plan.poll_no, at, not_modified=True, entries=None,
                               content_sha256=digest, bytes=len(response.body), **common)]
    feed = parse_feed(response.body, response.url, response.headers.get("content-type"))
    if not feed.entries and not feed.version:
        return [ev.feed_poll_failed(plan.feed_id, plan.poll_no, at, url=plan.url,
                                    status=response.status, error_class="not_a_feed",
                                    detail=feed.bozo or "no feed found in the document",
                                    attempt=1)]
    polled = ev.feed_polled(plan.feed_id, plan.poll_no, at, not_modified=False,
                            entries=len(feed.entries), content_sha256=digest,
                            bytes=len(response.body), title=feed.title, version=feed.version,
                            language=feed.language, bozo=feed.bozo, **common)
    found = [ev.article_discovered(
        a.article_id, plan.feed_id, at, poll=polled.event_id, url=a.url,
        canonical_url=a.canonical_url, guid=a.guid, title=a.title,
        summary=a.summary[:SUMMARY_CHARS], published=a.published,
        published_raw=a.published_raw) for a in articles(plan.feed_id, feed)]
    return [polled, *found]


def failure_event(plan: PollPlan, error: FetchError, at: datetime) -> ev.Event:
    return ev.feed_poll_failed(plan.feed_id, plan.poll_no, at, url=plan.url, status=error.status,
                               error_class=error.error_class, detail=error.detail,
                               retry_after=error.headers.get("retry-after"), attempt=1)


def _conditional_headers(plan: PollPlan) -> dict[str, str]:
    headers = {"accept": "application/rss+xml, application/atom+xml, application/rdf+xml, "
                         "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"}
    if plan.etag:
        headers["if-none-match"] = plan.etag
    if plan.last_modified:
        headers["if-modified-since"] = plan.last_modified
    return headers


async def _poll(plans: list[PollPlan], settings: Settings, clock: Callable[[], datetime],
                done: Callable[[PollPlan, list[ev.Event]], None]) -> None:
    async with Fetcher(settings) as fetcher:
        async def one(plan: PollPlan) -> None:
            try:
                response = await fetcher.get(plan.url, headers=_conditional_headers(plan),
                                             max_bytes=settings.max_feed_bytes)
                events = poll_events(plan, response, clock())
            except FetchError as error:
                events = [failure_event(plan, error, clock())]
            done(plan, events)
        await asyncio.gather(*(one(plan) for plan in plans))


def poll_feeds(plans: list[PollPlan], settings: Settings, clock: Callable[[], datetime],
               progress: Callable[[int], None] = lambda n: None) -> list[ev.Event]:
    """Poll every planned feed; one FeedPolled or FeedPollFailed per feed, plus an
    ArticleDiscovered for each entry. Events come in the order of the plans, whatever
    order the answers came in, so an article listed by two feeds is always credited to
    the same one."""
    collected: dict[int, list[ev.Event]] = {}

    def done(plan: PollPlan, events: list[ev.Event]) -> None:
        collected[id(plan)] = events
        progress(1)

    asyncio.run(_poll(plans, settings, clock, done))
    return [e for plan in plans for e in collected[id(plan)]]
