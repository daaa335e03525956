"""One cycle of the pipeline in this process: poll, commit, fetch + extract + tag,
commit, cluster, alert. The shell (CLI, demo) opens a `Context`; Airflow tasks call the
same stage functions (`batches.py`).

The committer is the only writer: stages return events, and they are appended in
batches, each one transaction, so a crash loses at most the work of a batch, never
an event already recorded, and a rerun skips what was recorded.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from pipeline.core import events as ev
from pipeline.core.settings import Settings
from pipeline.extract.forkserver import warm_up_workers
from pipeline.extract.pool import ExtractionPool
from pipeline.ingest.articles import ArticlePlan, fetch_articles, plan_articles
from pipeline.ingest.poll import plan_polls, poll_feeds
from pipeline.ingest.revisions import plan_rechecks, recheck_articles
from pipeline.ingest.schedule import schedule_for
from pipeline.runs.context import Context, Report
from pipeline.stories.stage import Clustering
from pipeline.topics.definitions import TopicsFile

if TYPE_CHECKING:
    from pipeline.alerts import outbox
    from pipeline.alerts.message import Letterhead

COMMIT_EVERY = 200  # articles


def commit(ctx: Context, events: list[ev.Event], report: Report) -> None:
    report.record(events, ctx.store.append(events, ctx.run_id))


def poll_stage(ctx: Context, report: Report) -> None:
    plans, waiting = plan_polls(ctx.store, ctx.feeds.feeds, ctx.clock(), schedule_for(ctx.settings))
    report.waiting += waiting
    ctx.progress.start("poll", len(plans))
    events = poll_feeds(plans, ctx.settings, ctx.clock,
                        lambda n: ctx.progress.advance("poll", n))
    report.feeds_polled += len(plans)
    commit(ctx, events, report)


def process_articles(plans: list[ArticlePlan], settings: Settings, topics: TopicsFile,
                     clock: Callable[[], datetime],
                     done: Callable[[list[ev.Event]], None]) -> None:
    """Fetch, extract and tag every planned article; `done` receives the events of each
    article as it finishes."""
    if not plans:
        return
    with ExtractionPool(settings, topics, clock) as pool:
        asyncio.run(fetch_articles(plans, settings, pool.extract, clock, done))


def process_stage(ctx: Context, report: Report, stories: Clustering | None = None) -> int:
    """Fetch, extract and tag the planned articles; with `stories`, each batch's articles
    are put in stories in the batch's own commit. Returns how many were planned."""
    plans, held = plan_articles(ctx.store, ctx.settings)
    report.articles_planned += len(plans)
    report.held_offline += len(held)
    ctx.progress.start("process", len(plans))
    with Committer(ctx, report, _stories_of(stories, plans), expected=len(plans)) as committer:
        def done(events: list[ev.Event]) -> None:
            committer.add(events)
            ctx.progress.advance("process")

        process_articles(plans, ctx.settings, ctx.topics, ctx.clock, done)
    return len(plans)


def _stories_of(stories: Clustering | None, plans: list[ArticlePlan]
                ) -> Callable[[list[ev.Event]], list[ev.Event]] | None:
    """The StoryClustered of a batch's extracted articles, assigned in the order they were
    discovered (the plans' order), as the story stage assigns them, whatever order their
    pages came back in."""
    if stories is None or not plans:
        return None
    stories.warm_up()
    order = {plan.article_id: i for i, plan in enumerate(plans)}

    def of(batch: list[ev.Event]) -> list[ev.Event]:
        extracted = [e for e in batch if e.type == ev.ARTICLE_EXTRACTED and e.payload.get("minhash")]
        return stories.stories_of(sorted(extracted, key=lambda e: order.get(e.article_id or "", len(order))))
    return of


class Committer:
    """Commits the events of every COMMIT_EVERY articles in a thread of its own, one batch
    after another, so fetching goes on while a commit waits for the database (another
    process reading it, say); the first error stops the stage when it ends. The last
    batch goes once the `expected` articles are in, not when the stage has closed its
    workers (a tenth of a second of a one-page run). `more` adds events of its own to a
    batch, committed with it (the stories of its articles)."""

    def __init__(self, ctx: Context, report: Report,
                 more: Callable[[list[ev.Event]], list[ev.Event]] | None = None,
                 expected: int | None = None):
        self.ctx, self.report, self.more = ctx, report, more
        self.expected = expected
        self.pending: list[ev.Event] = []
        self.articles = 0
        self.futures: list[Future] = []
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsmon-commit")

    def add(self, events: list[ev.Event]) -> None:
        self.pending.extend(events)
        self.articles += 1
        if self.articles % COMMIT_EVERY == 0 or self.articles == self.expected:
            self._submit()

    def _submit(self) -> None:
        batch, self.pending = self.pending, []
        self.futures.append(self.thread.submit(self._commit, batch))

    def _commit(self, batch: list[ev.Event]) -> None:
        commit(self.ctx, batch + (self.more(batch) if self.more is not None else []), self.report)

    def __enter__(self) -> "Committer":
        return self

    def __exit__(self, *exc) -> None:
        # what is done is committed, even when the stage was interrupted
        if self.pending:
            self._submit()
        self.thread.shutdown(wait=True)
        for future in self.futures:
            future.result()


def recheck_stage(ctx: Context, report: Report) -> None:
    """Fetch again the matched articles due for it, and record what became of them."""
    plans = plan_rechecks(ctx.store, ctx.settings, ctx.clock())
    if not plans:
        return
    ctx.progress.start("recheck", len(plans))
    with Committer(ctx, report) as committer, \
            ExtractionPool(ctx.settings, ctx.topics, ctx.clock) as pool:
        def done(event: ev.Event) -> None:
            committer.add([event])
            ctx.progress.advance("recheck")

        asyncio.run(recheck_articles(plans, ctx.settings, pool.read, ctx.clock, done))


def clustering(ctx: Context, report: Report) -> Clustering:
    """The story stage of a run, recording what it commits in `report`."""
    return Clustering(ctx.store, ctx.run_id, ctx.clock, report.record)


def cluster_stage(ctx: Context, report: Report) -> None:
    """Put every newly extracted article in a story: its own, or that of an earlier copy."""
    stage = clustering(ctx, report)
    stage()
    report.copies += stage.copies


def alert_stage(ctx: Context, report: Report) -> None:
    """Decide the alerts that are due into the outbox, then send the outbox. Without a
    mail server, email recipients' matches wait; chats and webhooks need none."""
    from pipeline.alerts import outbox  # after the articles: not on a run's way to the first

    channels = _channels(ctx)
    if channels.server is None:
        waiting = sum(outbox.waiting_for(ctx.store, r) for r in ctx.alerts.recipients if r.email)
        report.alerts_pending += waiting
        if waiting:
            report.notes.append(f"{waiting} matches wait for an alert email: "
                                "set NEWSMON_SMTP_URL to send them")
    now = ctx.clock()
    for outcome in (outbox.decide_due(ctx.store, ctx.alerts, now, ctx.run_id, channels),
                    outbox.send_outbox(ctx.store, channels, now, ctx.run_id)):
        report.record(outcome.events, outcome.new_ids)
        report.alerts_pending += outcome.pending
        if outcome.taken:
            report.notes.append(f"{outcome.taken} alerts were left to another run that is "
                                "sending them")


def _channels(ctx: Context) -> outbox.Channels:
    from pipeline.alerts import outbox
    from pipeline.alerts.smtp import SmtpServer

    server = SmtpServer.from_url(ctx.settings.smtp_url) if ctx.settings.smtp_url else None
    return outbox.Channels.of(ctx.alerts, server, letterheads(ctx))


def letterheads(ctx: Context) -> dict[str, Letterhead]:
    """What each recipient's messages say around the matches (topic names, the report,
    how to change the alert), from the configuration this run has."""
    from pipeline.alerts import outbox

    return outbox.letterheads(ctx.alerts, {t.id: t.name for t in ctx.topics.topics},
                              str(ctx.settings.alerts or "config/alerts.yaml"))


def retry_stage(ctx: Context, report: Report) -> None:
    """Send again the alerts that failed for good, the cause being fixed."""
    from pipeline.alerts import outbox

    channels = _channels(ctx)
    if channels.server is None:
        report.notes.append("NEWSMON_SMTP_URL is not set: no alert email was tried again")
    outcome = outbox.retry_failed(ctx.store, channels, ctx.clock(), ctx.run_id)
    report.record(outcome.events, outcome.new_ids)
    report.alerts_pending += outcome.pending
    retried = sum(e.type == ev.ALERT_CLAIMED for e in outcome.events)
    report.notes.append(f"{retried} alerts that had failed for good were tried again")


def run_cycle(ctx: Context) -> Report:
    report = Report()
    warm_up_workers()  # their start-up goes on while the feeds are polled
    poll_stage(ctx, report)
    follow_up(ctx, report)
    return report


def follow_up(ctx: Context, report: Report) -> None:
    """What new entries lead to, however they came (a poll, a WebSub push): fetch,
    extract, tag, put in stories, alert."""
    stories = clustering(ctx, report)
    stories()  # articles left without a story (by a run that stopped) go first, as discovered
    if process_stage(ctx, report, stories):  # each batch's articles in stories in its commit
        stories()  # and any committed meanwhile by another process
    report.copies += stories.copies
    recheck_stage(ctx, report)
    alert_stage(ctx, report)
    if report.held_offline:
        report.notes.append(f"{report.held_offline} articles on hosts outside "
                            "NEWSMON_ALLOW_HOSTS wait for a run that is not offline")
