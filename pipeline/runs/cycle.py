"""One cycle of the pipeline in this process: poll, commit, fetch + extract + tag,
commit, alert. The shell (CLI, demo) builds a `Context`; Airflow tasks call the same
stage functions.

The committer is the only writer: stages return events, and they are appended in
batches, each one transaction, so a crash loses at most the work of a batch, never
an event already recorded, and a rerun skips what was recorded.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Protocol

from pipeline.alerts import outbox

from pipeline.stories import clustering as stories
from pipeline.core import events as ev
from pipeline.core.config import AlertsFile, FeedsFile, TopicsFile
from pipeline.alerts.smtp import SmtpServer
from pipeline.ingest.poll import plan_polls, poll_feeds
from pipeline.ingest.articles import plan_articles, process_articles, warm_up_workers
from pipeline.core.settings import Settings
from pipeline.store import Store

COMMIT_EVERY = 200  # articles
CLUSTER_BATCH = 500  # articles
STORY_WINDOW = timedelta(days=30)  # how far back a copy's original may be


class Progress(Protocol):
    def start(self, stage: str, total: int) -> None: ...
    def advance(self, stage: str, n: int = 1) -> None: ...


class NoProgress:
    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, stage: str, n: int = 1) -> None:
        pass


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def run_id(kind: str, now: datetime) -> str:
    """A name for one run of the command line: what, when, which process. Only a label on
    the events a run records, never part of their ids."""
    return f"{kind}__{now:%Y-%m-%dT%H:%M:%S}Z__{os.getpid()}"


@dataclass
class Context:
    settings: Settings
    store: Store
    feeds: FeedsFile
    topics: TopicsFile
    alerts: AlertsFile
    run_id: str
    clock: Callable[[], datetime] = utc_now
    progress: Progress = field(default_factory=NoProgress)


@dataclass
class Report:
    """What a run did: the events it appended, and what it left for later."""
    appended: Counter = field(default_factory=Counter)      # type -> new events
    errors: Counter = field(default_factory=Counter)        # (type, error class) -> new events
    matches: Counter = field(default_factory=Counter)       # topic -> new matches
    feeds_polled: int = 0
    articles_planned: int = 0
    held_offline: int = 0
    alerts_pending: int = 0
    copies: int = 0                                         # articles found to copy a story
    notes: list[str] = field(default_factory=list)

    def record(self, events: Iterable[ev.Event], new_ids: set[str]) -> None:
        unseen = set(new_ids)  # a batch may carry one event twice: count it once
        for e in events:
            if e.event_id not in unseen:
                continue
            unseen.discard(e.event_id)
            self.appended[e.type] += 1
            if "error_class" in e.payload:
                self.errors[(e.type, e.payload["error_class"])] += 1
            if e.type == ev.TOPIC_MATCHED:
                self.matches[e.topic] += 1


def commit(ctx: Context, events: list[ev.Event], report: Report) -> None:
    report.record(events, ctx.store.append(events, ctx.run_id))


def poll_stage(ctx: Context, report: Report) -> None:
    plans, waiting = plan_polls(ctx.store, ctx.feeds.feeds, ctx.clock())
    for feed in waiting:
        report.notes.append(f"feed {feed.feed_id} waits until {feed.until:%Y-%m-%d %H:%M} UTC: "
                            f"{feed.reason}")
    ctx.progress.start("poll", len(plans))
    events = poll_feeds(plans, ctx.settings, ctx.clock,
                        lambda n: ctx.progress.advance("poll", n))
    report.feeds_polled += len(plans)
    commit(ctx, events, report)


def process_stage(ctx: Context, report: Report,
                  after_commit: Callable[[], None] | None = None) -> None:
    """Fetch, extract and tag the planned articles; `after_commit` runs after each batch
    is committed, in the committer's thread."""
    plans, held = plan_articles(ctx.store, ctx.settings)
    report.articles_planned += len(plans)
    report.held_offline += len(held)
    ctx.progress.start("process", len(plans))
    with Committer(ctx, report, after_commit) as committer:
        def done(events: list[ev.Event]) -> None:
            committer.add(events)
            ctx.progress.advance("process")

        process_articles(plans, ctx.settings, ctx.topics, ctx.clock, done)


class Committer:
    """Commits the events of every COMMIT_EVERY articles in a thread of its own, one batch
    after another, so fetching goes on while a commit waits for the database (another
    process reading it, say); the first error stops the stage when it ends."""

    def __init__(self, ctx: Context, report: Report,
                 after_commit: Callable[[], None] | None = None):
        self.ctx, self.report, self.after_commit = ctx, report, after_commit
        self.pending: list[ev.Event] = []
        self.articles = 0
        self.futures: list[Future] = []
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsmon-commit")

    def add(self, events: list[ev.Event]) -> None:
        self.pending.extend(events)
        self.articles += 1
        if self.articles % COMMIT_EVERY == 0:
            self._submit()

    def _submit(self) -> None:
        batch, self.pending = self.pending, []
        self.futures.append(self.thread.submit(self._commit, batch))

    def _commit(self, batch: list[ev.Event]) -> None:
        commit(self.ctx, batch, self.report)
        if self.after_commit is not None:
            self.after_commit()

    def __enter__(self) -> "Committer":
        return self

    def __exit__(self, *exc) -> None:
        self._submit()  # what is done is committed, even when the stage was interrupted
        self.thread.shutdown(wait=True)
        for future in self.futures:
            future.result()


def cluster_stage(ctx: Context, report: Report) -> None:
    """Put every newly extracted article in a story: its own, or that of an earlier copy."""
    Clustering(ctx, report)()


class Clustering:
    """Clusters the articles committed and not yet in a story, CLUSTER_BATCH at a time,
    each batch committed, so memory stays flat. Called again, it goes on with the same
    clusterer, so `newsmon run` can cluster after every commit of the process stage
    instead of all at the end, while the workers go on extracting. The stories come out
    the same; only when a copy is committed before its original (discovered first,
    extracted later) is the copy the one the story is named after."""

    def __init__(self, ctx: Context, report: Report):
        self.ctx, self.report = ctx, report
        self._clusterer: stories.Clusterer | None = None

    def __call__(self) -> None:
        ctx = self.ctx
        while True:
            new = ctx.store.rows("unclustered_articles", {"method": stories.METHOD,
                                                          "limit": CLUSTER_BATCH})
            if not new:
                return
            if self._clusterer is None:
                self._clusterer = _clusterer(ctx)
            at = ctx.clock()
            events = []
            for row in new:
                found = self._clusterer.assign(row["article_id"], row["text"] or "", row["minhash"])
                events.append(ev.story_clustered(found.article_id, found.story_id, stories.METHOD,
                                                 at, similar_to=found.similar_to,
                                                 similarity=found.similarity))
                if found.similar_to:
                    self.report.copies += 1
            commit(ctx, events, self.report)
            if len(new) < CLUSTER_BATCH:
                return


def _clusterer(ctx: Context) -> stories.Clusterer:
    known = ctx.store.rows("story_signatures", {"method": stories.METHOD,
                                                "since": ctx.clock() - STORY_WINDOW})

    def texts(ids: list[str]) -> dict[str, str]:
        return {r["article_id"]: r["text"] for r in ctx.store.rows("article_texts", {"ids": ids})}

    return stories.Clusterer([(r["article_id"], r["story_id"], r["minhash"]) for r in known],
                             texts)


def alert_stage(ctx: Context, report: Report) -> None:
    """Decide the alerts that are due into the outbox, then send the outbox."""
    if not ctx.settings.smtp_url:
        report.alerts_pending += outbox.waiting(ctx.store, ctx.alerts)
        if report.alerts_pending:
            report.notes.append(f"{report.alerts_pending} matches wait for an alert: "
                                "set NEWSMON_SMTP_URL to send them")
        return
    server = SmtpServer.from_url(ctx.settings.smtp_url)
    now = ctx.clock()
    for outcome in (outbox.decide_due(ctx.store, ctx.alerts, now, ctx.run_id),
                    outbox.send_outbox(ctx.store, server, ctx.alerts.sender, now, ctx.run_id)):
        report.record(outcome.events, outcome.new_ids)
        report.alerts_pending += outcome.pending
        if outcome.taken:
            report.notes.append(f"{outcome.taken} alerts were left to another run that is "
                                "sending them")


def run_cycle(ctx: Context) -> Report:
    report = Report()
    warm_up_workers()  # their start-up goes on while the feeds are polled
    poll_stage(ctx, report)
    # clustered after every commit, the last included, while the workers go on
    process_stage(ctx, report, after_commit=Clustering(ctx, report))
    alert_stage(ctx, report)
    if report.held_offline:
        report.notes.append(f"{report.held_offline} articles on hosts outside "
                            "NEWSMON_ALLOW_HOSTS wait for a run that is not offline")
    return report
