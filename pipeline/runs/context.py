"""What a run works with, made in one place (`Context.open`): the settings, the store,
the configuration files (read, and refused when bad, before any work starts), the run's
name, the clock and where progress goes; and what a run did (`Report`)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Protocol

from pipeline.core import events as ev
from pipeline.core.config import AlertsFile, FeedsFile, load_alerts, load_feeds
from pipeline.core.settings import Settings
from pipeline.ingest.poll import Waiting
from pipeline.store import Store, open_store
from pipeline.topics.definitions import TopicsFile, load_topics


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

    @classmethod
    def open(cls, settings: Settings, kind: str = "cli", *, run: str | None = None,
             clock: Callable[[], datetime] = utc_now, progress: Progress | None = None,
             origin: str | None = None, store: Store | None = None) -> "Context":
        """The context of a run of `kind` (or of the run named `run`, an Airflow DAG
        run's), with every configuration file read and checked. `origin` replaces
        `{{origin}}` in the feeds file (the demo's loopback site)."""
        topics = load_topics(settings.topics)
        return cls(settings=settings, store=store or open_store(settings),
                   feeds=load_feeds(settings.feeds, origin=origin), topics=topics,
                   alerts=load_alerts(settings.alerts, topics.ids),
                   run_id=run or run_id(kind, clock()), clock=clock,
                   progress=progress or NoProgress())


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
    failed_feeds: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # class -> (feed, detail)
    waiting: list[Waiting] = field(default_factory=list)                          # feeds not polled

    @property
    def every_feed_failed(self) -> bool:
        return self.feeds_polled > 0 and self.appended[ev.FEED_POLL_FAILED] >= self.feeds_polled

    def record(self, events: Iterable[ev.Event], new_ids: set[str]) -> None:
        unseen = set(new_ids)  # a batch may carry one event twice: count it once
        for e in events:
            if e.event_id not in unseen:
                continue
            unseen.discard(e.event_id)
            self.appended[e.type] += 1
            if "error_class" in e.payload:
                self.errors[(e.type, e.payload["error_class"])] += 1
            if e.type == ev.FEED_POLL_FAILED:
                self.failed_feeds.setdefault(e.payload.get("error_class", "unknown"), []).append(
                    (e.feed_id or e.stream, str(e.payload.get("detail") or "")))
            if e.type == ev.TOPIC_MATCHED:
                self.matches[e.topic] += 1
