"""The poll stage: plan which feeds to poll, poll them concurrently, turn each answer
into events. Planning reads the store; polling only returns events.

Polls are conditional (ETag, Last-Modified) and a body whose hash has not changed
is not parsed again, so most polls of a quiet feed cost one small request. A feed's URL
may name a news sitemap or a sitemap index instead (`sitemaps.py`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Callable, Iterable, Sequence
from urllib.parse import urljoin

from pipeline.core import events as ev
from pipeline.core.config import Feed
from pipeline.core.settings import Settings
from pipeline.ingest.feeds import articles, parse_feed
from pipeline.ingest.net import Fetcher, FetchError, Response
from pipeline.ingest.schedule import SCHEDULED, Rate, Schedule, intervals
from pipeline.ingest.sitemaps import index_children, parse_sitemap
from pipeline.store import Store

SUMMARY_CHARS = 1000


FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(days=1)


@dataclass(frozen=True)
class Waiting:
    feed_id: str
    until: datetime
    reason: str
    kind: str = ""  # what feeds waiting alike have in common: "backing off", "retired"...


@dataclass(frozen=True)
class PollPlan:
    feed_id: str
    url: str
    poll_no: int
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None
    feed_url: str | None = None     # as the feeds file says, when `url` is where it moved
    # what the feeds file says of the outlet, when it differs from what was recorded last
    # (recorded with the poll as FeedConfigured), and the id of that last record
    source: dict | None = None
    source_after: str | None = None


def plan_polls(store: Store, feeds: Iterable[Feed], now: datetime,
               schedule: Schedule | None = None) -> tuple[list[PollPlan], list[Waiting]]:
    """The polls due now, and the feeds that wait (backing off, or retired; given a
    `schedule`, also those polled recently enough for their pace, `schedule.py`)."""
    feeds = list(feeds)
    history = {row["feed_id"]: row for row in store.rows("plan_polls")}
    described = {row["feed_id"]: row for row in store.rows("feed_sources")}
    paces = _paces(store, feeds, now, schedule) if schedule else {}
    # pushed by a WebSub hub: polled as seldom as any feed, in case the pushes stop
    pushed = {r["feed_id"] for r in store.rows("feed_leases", {"now": now})} if schedule else set()
    plans, waiting = [], []
    for feed in feeds:
        row = history.get(feed.id, {})
        until, kind, reason = next_poll(row, now)
        if until is None and schedule and feed.id in pushed and row.get("last_ok"):
            until, kind = row["last_at"] + schedule.longest, SCHEDULED
            reason = "pushed by its WebSub hub; polled now and then all the same"
        elif until is None and feed.id in paces and row.get("last_ok"):
            until, kind = row["last_at"] + paces[feed.id], SCHEDULED
            reason = f"polled every {_minutes(paces[feed.id])} for its pace"
        if until is not None and until > now:
            waiting.append(Waiting(feed.id, until, reason, kind))
            continue
        # A permanent redirect is followed from then on, until the feeds file changes.
        moved = row.get("moved_to") if row.get("feed_url") == feed.url else None
        url = moved or feed.url
        # Validators belong to the URL that gave them.
        same_url = url in (row.get("url"), row.get("final_url"))
        last = described.get(feed.id, {})
        changed = {k: last.get(k) for k in feed.source} != feed.source
        plans.append(PollPlan(
            feed.id, url, (row.get("polls") or 0) + 1,
            row.get("etag") if same_url else None,
            row.get("last_modified") if same_url else None,
            row.get("content_sha256") if same_url else None, feed_url=feed.url,
            source=feed.source if changed else None, source_after=last.get("event_id")))
    return plans, waiting


def _paces(store: Store, feeds: list[Feed], now: datetime, schedule: Schedule) -> dict[str, timedelta]:
    """Each feed's interval between successful polls, from its last week's polls."""
    found = {r["feed_id"]: r for r in store.rows("poll_rates", {"now": now})}
    rates: dict[str, Rate | None] = {}
    for feed in feeds:
        r = found.get(feed.id)
        rates[feed.id] = None if r is None else Rate(
            r["polls"], int(r["found"] or 0), r["last_at"] - r["first_at"],
            r["last_entries"] if (r["last_entries"] or 0) >= 0 else None, r["last_new"],
            timedelta(seconds=r["hint_s"]) if r["hint_s"] else None)
    return intervals(rates, schedule)


def _minutes(span: timedelta) -> str:
    minutes = round(span / timedelta(minutes=1))
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def next_poll(row: dict, now: datetime) -> tuple[datetime | None, str, str]:
    """When a feed may be polled again, as HTTP said and its failures suggest: after a
    429 when Retry-After says; after a 410 once a week (retired, but looked at again);
    after other failures later and later (5 minutes, doubling, at most a day). A feed is
    never given up for good."""
    if not row or row.get("last_ok") or not row.get("failure_streak"):
        return None, "", ""
    last, streak = row["last_at"], row["failure_streak"]
    if row.get("last_status") == 410:
        return last + timedelta(days=7), "retired (410 Gone), looked at weekly", \
            "retired: the server says 410 Gone"
    if row.get("last_status") in (429, 503) and row.get("last_retry_after"):
        wait = _retry_after(row["last_retry_after"], last)
        if wait is not None:
            return last + min(wait, MAX_BACKOFF), "asked to wait (Retry-After)", \
                f"the server asked to wait (HTTP {row['last_status']})"
    backoff = min(FIRST_BACKOFF * 2 ** (streak - 1), MAX_BACKOFF)
    return last + backoff, "backing off after failed polls", \
        f"{streak} failed poll{'s' if streak > 1 else ''} in a row"


def _retry_after(value: str, since: datetime) -> timedelta | None:
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        return max(parsedate_to_datetime(value) - since, timedelta(0))
    except (TypeError, ValueError):
        return None


def poll_events(plan: PollPlan, response: Response, at: datetime,
                children: Sequence[Response] = (), pushed: bool = False) -> list[ev.Event]:
    """The events one answer to a poll means (with, for a sitemap index, the answers
    for the sitemaps it lists). `pushed`: content a WebSub hub sent, taken as a poll."""
    common = {"url": plan.url, "feed_url": plan.feed_url or plan.url,
              "final_url": response.url, "moved_to": response.moved_to,
              "status": response.status,
              "elapsed_ms": response.elapsed_ms,
              "etag": response.headers.get("etag") or plan.etag,
              "last_modified": response.headers.get("last-modified") or plan.last_modified}
    common["hint_s"] = _max_age(response.headers.get("cache-control"))
    if response.status == 304:
        return [ev.feed_polled(plan.feed_id, plan.poll_no, at, not_modified=True, entries=None,
                               content_sha256=plan.content_sha256, **common)]
    digest = hashlib.sha256(b"".join([response.body, *(c.body for c in children)])).hexdigest()
    if digest == plan.content_sha256:
        return [ev.feed_polled(plan.feed_id, plan.poll_no, at, not_modified=True, entries=None,
                               content_sha256=digest, bytes=len(response.body), **common)]
    feed = parse_sitemap(response.body, [c.body for c in children]) \
        or parse_feed(response.body, response.url, response.headers.get("content-type"))
    if not feed.entries and not feed.version:
        return [ev.feed_poll_failed(plan.feed_id, plan.poll_no, at, url=plan.url,
                                    status=response.status, error_class="not_a_feed",
                                    detail=feed.bozo or "no feed found in the document",
                                    attempt=1)]
    if feed.ttl_minutes and not common["hint_s"]:
        common["hint_s"] = feed.ttl_minutes * 60
    if feed.hub:
        common |= {"hub": feed.hub, "topic": feed.topic or plan.feed_url or plan.url}
    if pushed:
        common["pushed"] = True
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


def _max_age(cache_control: str | None) -> int | None:
    """Cache-Control's max-age, in seconds."""
    found = re.search(r"\bmax-age\s*=\s*\"?(\d+)", cache_control or "", re.I)
    return int(found.group(1)) if found else None


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
                # a sitemap index: the sitemaps it lists, all of them or the poll fails
                children = [await fetcher.get(urljoin(response.url, child),
                                              max_bytes=settings.max_feed_bytes)
                            for child in index_children(response.body)] if response.status == 200 else []
                events = poll_events(plan, response, clock(), children)
            except FetchError as error:
                events = [failure_event(plan, error, clock())]
            except Exception as error:  # a document no parser expected: record it, go on
                events = [failure_event(plan, FetchError("feed_error", f"{type(error).__name__}: "
                                                         f"{error}"), clock())]
            if plan.source is not None:
                events.insert(0, ev.feed_configured(plan.feed_id, clock(), plan.source_after,
                                                    **plan.source))
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
