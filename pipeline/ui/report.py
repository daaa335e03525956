"""`newsmon report`: one static HTML page an analyst opens in a browser, on a date range
(the last 30 days unless told): how much each topic ran and its share of everything
ingested, the spikes and the story behind each, the most significant stories with more
a click away, the topics that come together, the outlets and the countries named; then
the feeds in trouble. Beside it, CSV files of the volume and of every story. Charts are
PNG images inside the page, so the file stands alone; the template
(templates/report.html.j2) escapes everything it is given."""

from __future__ import annotations

import base64
import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.store import Reading, Store
from pipeline.topics.definitions import TopicsFile
from pipeline.trends import buckets, charts
from pipeline.trends.countries import named_in

DEFAULT_DAYS = 30
SHOWN = 5  # stories, outlets and countries shown at once; the rest behind "N more"
# Stories a topic lists in the page: a busy month of a large log has thousands, which
# made the page megabytes long and took most of its time to write. The stories CSV
# has every one.
LISTED = 500

_TEMPLATES = Environment(loader=PackageLoader("pipeline.ui", "templates"),
                         autoescape=select_autoescape(default=True), trim_blocks=True,
                         lstrip_blocks=True)


@dataclass
class Written:
    page: Path
    csvs: list[Path]
    matches: int


def period(since: date | None, until: date | None, today: date) -> tuple[date, date]:
    until = until or today
    return since or until - timedelta(days=DEFAULT_DAYS - 1), until


def write(store: Store, topics: TopicsFile, out: Path, now: datetime,
          since: date | None = None, until: date | None = None) -> Written:
    """The page at `out`, and its CSVs beside it (`<name>-volume.csv`, `-stories.csv`)."""
    since, until = period(since, until, now.date())
    with store.reading() as reading:  # one state of the store, opened once
        return _write(reading, str(store.path), topics, out, now, since, until)


def _write(store: Reading, where: str, topics: TopicsFile, out: Path, now: datetime,
           since: date, until: date) -> Written:
    span = {"since": since, "until": until}
    daily = store.rows("report_daily", span)
    unit = buckets.unit_for(since, until)
    volume = buckets.regroup(daily, unit)
    stories = store.rows("report_stories", span)
    per_topic = {row["topic"]: row for row in store.rows("report_topics", span)}
    names = {t.id: t.name for t in topics.topics}
    ids = sorted(per_topic)
    countries = store.rows("report_countries", span, fill={"named": named_in("words")})
    csvs = [_csv(out.with_name(f"{out.stem}-volume.csv"),
                 ["period", "topic", "articles", "stories", "ingested", "share"], volume),
            _csv(out.with_name(f"{out.stem}-stories.csv"),
                 ["topic", "story_id", "title", "url", "articles", "outlets", "score", "first_day",
                  "last_day"], [{**s, "outlets": "; ".join(s["outlets"])} for s in stories])]
    context = {
        "since": since, "until": until, "unit": unit, "now": now, "store": where,
        "shown": SHOWN, "listed": max(LISTED, SHOWN), "names": names, "colour": charts.colour,
        "csvs": [p.name for p in csvs],
        "range": store.rows("report_range", span)[0],
        "summary": _summary(per_topic, stories, daily),
        "charts": _charts(daily, unit) if ids else {},
        "spikes": store.rows("report_spikes", span),
        "topics": [{"id": t, "name": names.get(t, t),
                    "stories": [s for s in stories if s["topic"] == t],
                    "outlets": per_topic[t]["outlets"],
                    "countries": [c for c in countries if c["topic"] == t]} for t in ids],
        "together": store.rows("report_together", span),
        "latency": store.rows("report_latency", span),
        "sources": store.rows("report_sources", span),
        "feeds": store.sql("SELECT feed_id, state, failure_streak, last_success_at, last_error "
                           "FROM feeds WHERE state <> 'ok' ORDER BY feed_id")[1],
        "feeds_ok": store.sql("SELECT count(*) FROM feeds WHERE state = 'ok'")[1][0][0],
    }
    page = _TEMPLATES.get_template("report.html.j2").render(context)
    out.write_text(page, encoding="utf-8")
    return Written(out, csvs, sum(t["articles"] for t in per_topic.values()))


def _summary(per_topic: dict[str, dict], stories: list[dict], daily: list[dict]) -> list[dict]:
    ingested: dict[date, int] = {}
    for r in daily:
        ingested[r["period"]] = r["ingested"]  # the same for every topic of a day
    total = sum(ingested.values())
    return [{"topic": topic, "articles": row["articles"], "stories": row["stories"],
             "outlets": len(row["outlets"]), "share": row["articles"] / total if total else None,
             "spikes": sum(1 for r in daily if r["topic"] == topic and r["spike"]),
             "top": next((s for s in stories if s["topic"] == topic), None)}
            for topic, row in sorted(per_topic.items())]


def _charts(daily: list[dict], unit: str) -> dict[str, str]:
    def inline(png: bytes) -> str:
        return "data:image/png;base64," + base64.b64encode(png).decode()
    return {"volume": inline(charts.volume(daily, "matching articles per {unit}", unit=unit)),
            "share": inline(charts.share(buckets.regroup(daily, unit), unit,
                                         "share of all articles ingested, per {unit}"))}


def _csv(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([[row.get(c) for c in columns] for row in rows])
    return path
