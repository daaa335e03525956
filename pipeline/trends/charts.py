"""Charts of topic volume, as PNG bytes (matplotlib, drawn off-screen). Pure: rows in,
image out."""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta

from pipeline.trends import buckets

COLOURS = {"china-acquisitions": "#c0392b", "iran-ties": "#2e86c1", "puno-protests": "#d68910"}
_OTHER = ["#16a085", "#8e44ad", "#7f8c8d", "#27ae60", "#34495e"]


def _matplotlib():
    """pyplot and its dates module, imported when a chart is drawn: importing them costs
    0.3 s, which every `newsmon` command and every Airflow task would pay otherwise."""
    import matplotlib
    matplotlib.use("Agg")  # no screen: draw to memory
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    return plt, mdates


def colour(topic: str, index: int = 0) -> str:
    return COLOURS.get(topic, _OTHER[index % len(_OTHER)])


def volume(rows: list[dict], title: str = "", width: float = 8, height: float = 3,
           unit: str | None = None) -> bytes:
    """Volume per topic: bars of articles per day, week or month (whichever suits the span,
    see buckets.py), a line of the 7-day mean on a daily chart, spikes marked. `rows` as
    the trends queries give them. `title` may hold {unit}, filled with the bucket's name."""
    periods = sorted({r["period"] for r in rows})
    if unit:
        rows = buckets.regroup(rows, unit)
    elif periods:
        step = min((b - a).days for a, b in zip(periods, periods[1:])) if len(periods) > 1 else 1
        unit = buckets.unit_for(periods[0], periods[-1])
        if step >= 7 and unit == "day":
            unit = "week"  # weekly rows stay weekly
        rows = buckets.regroup(rows, unit)
    unit = unit or "day"
    topics = sorted({r["topic"] for r in rows})
    width_days = {"day": 1, "week": 7, "month": 30}[unit]
    span = (periods[-1] - periods[0]).days if periods else 1
    # A bar as wide as its period, and never thinner than a few pixels however long the span.
    bar = max(0.9 * width_days, span / 250)
    plt, _ = _matplotlib()
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    for i, topic in enumerate(topics):
        mine = [r for r in rows if r["topic"] == topic]
        filled = [r for r in mine if r["articles"]]  # a bar of 0 draws nothing, slowly
        ax.bar([r["period"] for r in filled], [r["articles"] for r in filled], width=bar,
               alpha=0.45 if len(topics) > 1 else 0.8, color=colour(topic, i), label=topic,
               align="edge" if unit != "day" else "center")
        if unit == "day" and any(r.get("mean_7d") is not None for r in mine):
            ax.plot([r["period"] for r in mine], [r.get("mean_7d") or 0 for r in mine],
                    color=colour(topic, i), linewidth=1.5)
        spikes = [r for r in mine if r.get("spike")]
        if spikes:
            ax.scatter([r["period"] for r in spikes], [r["articles"] for r in spikes], marker="v",
                       color="black", zorder=3, s=25)
    if periods:  # some room around the bars, and a range the date axis can label
        pad = timedelta(days=max(bar, 3))
        ax.set_xlim(periods[0] - pad, periods[-1] + pad)
    _style(ax, title.format(unit=unit), legend=len(topics) > 1)
    return _png(fig)


def share(rows: list[dict], unit: str, title: str = "", width: float = 8, height: float = 2.4) -> bytes:
    """Each topic's share of all articles ingested, per bucket, as lines: a topic that
    grows while the news as a whole grows too is not a story. `rows` already regrouped
    (buckets.regroup), with `share` between 0 and 1 or None (nothing ingested)."""
    topics = sorted({r["topic"] for r in rows})
    plt, _ = _matplotlib()
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    for i, topic in enumerate(topics):
        mine = [r for r in rows if r["topic"] == topic and r.get("share") is not None]
        ax.plot([r["period"] for r in mine], [100 * r["share"] for r in mine], color=colour(topic, i),
                linewidth=1.5, marker="o" if len(mine) < 40 else None, markersize=3, label=topic)
    ax.set_ylabel("% of articles", fontsize=8)
    ax.set_ylim(bottom=0)
    _style(ax, title.format(unit=unit), legend=len(topics) > 1)
    return _png(fig)


def sparkline(rows: list[dict], topic: str, start: date, end: date) -> bytes:
    """A small chart of one topic's daily articles from `start` to `end`, for an email."""
    counts = {r["period"]: r["articles"] for r in rows if r["topic"] == topic}
    days = [date.fromordinal(d) for d in range(start.toordinal(), end.toordinal() + 1)]
    values = [counts.get(d, 0) for d in days]
    plt, _ = _matplotlib()
    fig, ax = plt.subplots(figsize=(4.8, 1.1), dpi=100)
    ax.bar(days, values, width=0.85, color=colour(topic))
    ax.set_ylim(0, max(values + [1]) * 1.1)
    if not any(values):
        ax.text(0.5, 0.5, "no matches in these 30 days", transform=ax.transAxes, ha="center",
                va="center", fontsize=8, color="#777")
    _style(ax, "", legend=False, small=True)
    return _png(fig)


def _style(ax, title: str, legend: bool, small: bool = False) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _, mdates = _matplotlib()
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=4 if small else 8))
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=7 if small else 8)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    if legend:
        ax.legend(fontsize=8, frameon=False)


def _png(fig) -> bytes:
    out = io.BytesIO()
    # matplotlib's layout warnings (a single day, a flat line) name its own files: they
    # are not the user's to act on, and the chart is drawn all the same
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fig.tight_layout()
        fig.savefig(out, format="png")
    plt, _ = _matplotlib()
    plt.close(fig)
    return out.getvalue()
