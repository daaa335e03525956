"""The pipeline in batches, for orchestrators (I/O): plan the work as small batches of
identifiers and URLs, do one batch and stage its events in a Parquet file, commit the
staged files in one transaction. No Airflow here: `tasks.py` adapts these to
task context, and the tests call them directly.

Staged files are named by run and batch, so a retried task overwrites its own file;
commits skip events already recorded, so a retried commit adds nothing.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Callable

from pipeline.core.config import load_feeds
from pipeline.core.settings import Settings
from pipeline.ingest.articles import ArticlePlan, plan_articles
from pipeline.ingest.poll import PollPlan, plan_polls, poll_feeds
from pipeline.ingest.schedule import schedule_for
from pipeline.runs.context import Context, Report, utc_now
from pipeline.runs.cycle import alert_stage, cluster_stage, process_articles, recheck_stage
from pipeline.store import LakeStore, arrow, open_store
from pipeline.topics.definitions import load_topics
from pipeline.topics.retag import retag
from pipeline.topics.tagging import Tagger

Clock = Callable[[], datetime]


def _batches(items: list[dict], size: int) -> list[list[dict]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def stage_path(settings: Settings, run_id: str, name: str) -> Path:
    if settings.staging:
        folder = settings.staging
    elif isinstance(settings.db, Path):
        folder = settings.db.with_name(settings.db.name + ".staging")
    else:  # DuckLake: beside its data files (only a local catalog stages)
        lake = open_store(settings)
        assert isinstance(lake, LakeStore)
        folder = Path(lake.data_path) / "_staging"
    return folder / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id) / f"{name}.parquet"


def plan_poll_batches(settings: Settings, clock: Clock = utc_now) -> list[list[dict]]:
    plans, _waiting = plan_polls(open_store(settings), load_feeds(settings.feeds).feeds, clock(),
                                 schedule_for(settings))
    return _batches([asdict(p) for p in plans], settings.poll_batch)


def poll_batch(plans: list[dict], settings: Settings, stage: Path, run_id: str,
               clock: Clock = utc_now) -> dict:
    events = poll_feeds([PollPlan(**p) for p in plans], settings, clock)
    return hand_over(events, settings, stage, run_id)


def plan_article_batches(settings: Settings) -> list[list[dict]]:
    ready, _held = plan_articles(open_store(settings), settings)
    return _batches([asdict(p) for p in ready], settings.article_batch)


def process_batch(plans: list[dict], settings: Settings, stage: Path, run_id: str,
                  clock: Clock = utc_now) -> dict:
    events: list = []
    process_articles([ArticlePlan(**p) for p in plans], settings, load_topics(settings.topics),
                     clock, events.extend)
    return hand_over(events, settings, stage, run_id)


def hand_over(events: list, settings: Settings, stage: Path, run_id: str) -> dict:
    """A mapped task's events, for the commit task: committed here when the store takes
    many writers at once (DuckLake), else staged in a Parquet file for the one commit."""
    store = open_store(settings)
    if store.concurrent_writers:
        report = Report()
        report.record(events, store.append(events, run_id))
        return {"committed": summary(report)}
    return {"staged": str(arrow.write(stage, events))}


def commit_staged(handed: list[dict], settings: Settings, run_id: str) -> dict:
    """Append every staged event in one transaction, then remove the files, and add up
    what mapped tasks committed themselves. A file that is gone was committed by an
    earlier try of this task."""
    paths = [h["staged"] for h in handed if h.get("staged")]
    present = [Path(p) for p in paths if Path(p).exists()]
    events = [e for path in present for e in arrow.read(path)]
    report = Report()
    report.record(events, open_store(settings).append(events, run_id))
    for path in present:
        path.unlink(missing_ok=True)
    for done in (h["committed"] for h in handed if h.get("committed")):
        report.appended.update(done["appended"])
        report.matches.update(done["matches"])
        report.errors.update({tuple(key.split(":", 1)): n for key, n in done["errors"].items()})
    return summary(report, staged_files=len(present), missing_files=len(paths) - len(present),
                   committed_by_tasks=sum(1 for h in handed if h.get("committed")))


def cluster_new(settings: Settings, run_id: str, clock: Clock = utc_now) -> dict:
    ctx = Context.open(settings, run=run_id, clock=clock)
    report = Report()
    cluster_stage(ctx, report)
    return summary(report, copies=report.copies)


def recheck_matched(settings: Settings, run_id: str, clock: Clock = utc_now) -> dict:
    """Fetch again the matched articles due for it; committed here, by this one task."""
    ctx = Context.open(settings, run=run_id, clock=clock)
    report = Report()
    recheck_stage(ctx, report)
    return summary(report)


def send_alerts(settings: Settings, run_id: str, clock: Clock = utc_now) -> dict:
    ctx = Context.open(settings, run=run_id, clock=clock)
    report = Report()
    alert_stage(ctx, report)
    return summary(report, pending=report.alerts_pending)


def retag_stored(settings: Settings, run_id: str, clock: Clock = utc_now) -> dict:
    tagger = Tagger(load_topics(settings.topics))
    diff = retag(open_store(settings), tagger, run_id, clock())
    return {"ruleset_version": tagger.version, "articles": diff.articles,
            "added": dict(diff.added), "dropped": dict(diff.dropped)}


def maintain(settings: Settings) -> dict:
    """The event store's housekeeping (on DuckLake: merge small files, expire snapshots)."""
    store = open_store(settings)
    store.maintain()
    return {"store": str(store.path)}


def summary(report: Report, **extra) -> dict:
    """A report as plain data (it travels through XCom and logs)."""
    return {"appended": dict(report.appended), "matches": dict(report.matches),
            "errors": {f"{t}:{c}": n for (t, c), n in report.errors.items()},
            "notes": list(report.notes), **extra}
