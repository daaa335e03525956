"""`newsmon report`: one static HTML page an analyst opens in a browser: per topic a
chart of its volume, its spikes, its top stories and the outlets that carry it; then
the health of every feed. Charts are PNG images inside the page, so the file stands
alone. Text from feeds and pages is escaped."""

from __future__ import annotations

import base64
import html
from datetime import date, datetime

from pipeline.store import Store
from pipeline.trends import charts

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #ddd; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f6f6f6; } td.n { text-align: right; } .muted { color: #777; font-size: .85rem; }
.bad { color: #b03a2e; font-weight: 600; } img { max-width: 100%; }
"""


def build(store: Store, now: datetime, since: date | None = None, per_topic: int = 5) -> str:
    e = html.escape
    totals = store.rows("report_totals", missing_ok=False)[0]
    trends = store.rows("trends_day", {"topic": None, "since": since})
    weekly = store.rows("trends_week", {"topic": None, "since": since})
    stories = store.rows("top_stories", {"per_topic": per_topic, "since": since})
    spikes = [r for r in trends if r["spike"]]
    outlets = store.sql("SELECT topic, outlet, articles, stories FROM topic_outlets "
                        "ORDER BY topic, articles DESC, outlet")[1]
    feeds = store.sql("SELECT feed_id, state, polls, last_success_at, failure_streak, last_error, "
                      "articles, articles_7d, volume_low FROM feeds ORDER BY state DESC, feed_id")[1]
    sizes = {t: (a, st) for t, a, st in store.sql(
        "SELECT topic, count(*), count(DISTINCT story_id) FROM mentions GROUP BY topic")[1]}
    topics = sorted({r["topic"] for r in trends})
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>newsmon report</title><style>{_STYLE}</style></head><body>",
             "<h1>newsmon report</h1>",
             f"<p class='muted'>{e(str(store.path))} · made {now:%Y-%m-%d %H:%M} UTC"
             f"{' · since ' + since.isoformat() if since else ''} · {totals['events']} events, "
             f"{totals['feeds']} feeds, {totals['extracted']} articles in {totals['stories']} stories</p>"]
    if not topics:
        parts.append("<p>No matches yet.</p>")
    for topic in topics:
        mine = [r for r in weekly if r["topic"] == topic]
        articles, in_stories = sizes.get(topic, (0, 0))
        image = charts.volume(mine, f"{topic}: articles per week", height=2.6)
        parts += [f"<h2 id='{e(topic)}'>{e(topic)}</h2>",
                  f"<p>{articles} articles in {in_stories} stories (copies of one story count "
                  f"once){', since ' + since.isoformat() if since else ''}.</p>",
                  f"<img alt='{e(topic)}: articles per week' src='data:image/png;base64,"
                  f"{base64.b64encode(image).decode()}'>"]
        peaks = [r for r in spikes if r["topic"] == topic]
        parts.append("<h3>Spikes</h3>" + (_table(
            ["day", "articles", "7-day mean", "28-day mean"],
            [(r["period"], r["articles"], f"{r['mean_7d']:.1f}", f"{r['mean_28d']:.1f}") for r in peaks])
            if peaks else "<p class='muted'>No day ran more than 3 standard deviations over "
                          "its 28-day baseline.</p>"))
        top = [s for s in stories if s["topic"] == topic]
        parts.append("<h3>Top stories</h3>" + _table(
            ["story", "outlets", "articles", "first day"],
            [(f"<a href='{e(s['url'] or '')}'>{e(s['title'] or '(no title)')}</a>"
              f"<br><span class='muted'>{e(s['snippet'] or '')}</span>",
              e(", ".join(s["outlets"])), s["articles"], s["first_day"]) for s in top], raw=True))
        parts.append("<h3>Outlets</h3>" + _table(
            ["outlet", "articles", "stories"],
            [(o, a, st) for t, o, a, st in outlets if t == topic][:10]))
    parts.append("<h2 id='feeds'>Feed health</h2>" + _table(
        ["feed", "state", "polls", "last success", "failures in a row", "last error", "articles",
         "last 7 days"],
        [(e(f), f"<span class='bad'>{e(state)}</span>" if state != "ok" else state, polls,
          _when(ok), streak, e(error or ""), articles or 0,
          f"<span class='bad'>{week} (low)</span>" if low else week)
         for f, state, polls, ok, streak, error, articles, week, low in feeds], raw=True))
    parts.append("</body></html>")
    return "\n".join(parts)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


def _table(headers: list[str], rows: list[tuple], raw: bool = False) -> str:
    """An HTML table; cells are escaped unless `raw` (then the caller escaped them)."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td class='n'>{v}</td>" if isinstance(v, (int, float)) else
                         f"<td>{v if raw else e(str(v))}</td>" for v in row) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
