"""Alert messages, written as a briefing: the period and the counts per topic first, then
per topic its rule once and its stories, the most significant first (carried by more
outlets, then the most recent), every matched term marked; a link to the report and how
to change or stop the alert last. Pure: an alert's items (rows of the `matches` view),
the topics' charts and a `Letterhead` in, an `EmailMessage` out. The text and HTML
parts are Jinja2 templates (templates/), the HTML one escaping all it is given.

Built with the standard `email` package and `policy=SMTP`, which refuses a header with
CR/LF in it, so a hostile title cannot inject headers; every piece of text from a feed
or a page is escaped in the HTML part. Copies of one story (the same wire story in
several outlets) are one entry, with the other outlets named.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Mapping

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from pipeline.core.text import day_shown

RETAG_HEADING = "Found by re-tagging older articles"
CHANGES_HEADING = "Changed or taken down since you were told"
_TEMPLATES = Environment(loader=PackageLoader("pipeline.alerts", "templates"),
                         autoescape=select_autoescape(enabled_extensions=("html.j2",)),
                         trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Entry:
    """One story in one topic, as the message shows it."""
    topic: str
    title: str
    outlet: str
    also_in: tuple[str, ...]
    date: str
    snippet: str
    terms: tuple[str, ...]
    rule: str
    url: str
    retag: bool
    marks: tuple[str, ...] = ()  # every matched word, to mark (`terms` lists the first few)
    change: str = ""             # what became of an article alerted before, said in a line


def message_id(alert_id: str) -> str:
    return f"<{alert_id}@newsmon>"


def entries(items: list[dict]) -> list[Entry]:
    """One entry per story and topic, in the order the items came."""
    first: dict[tuple, dict] = {}
    outlets: dict[tuple, set[str]] = {}
    for m in items:
        key = (m["topic"], m.get("story_id") or m["article_id"], m.get("change_event_id"))
        first.setdefault(key, m)
        outlets.setdefault(key, set()).update(
            _line(o) for o in [m.get("site") or m.get("feed_id") or "", *(m.get("story_outlets") or [])] if o)
    found = []
    for key, m in first.items():
        outlet = _line(m.get("site") or m.get("feed_id") or "")
        found.append(Entry(m["topic"], _line(m.get("title") or "(no title)"), outlet,
                           tuple(sorted(outlets[key] - {outlet})), _date(m),
                           _line(m.get("snippet") or ""), _terms(m.get("terms")),
                           _line(m.get("rule") or ""), m.get("url") or "",
                           bool(m.get("found_by_retag")), _terms(m.get("terms"), most=None),
                           _change(m)))
    return found


def _change(item: dict) -> str:
    """What became of an article alerted before, in a line: taken down (how), or revised
    (its new title, how much of its text)."""
    if not item.get("change"):
        return ""
    seen = item.get("tagged_at")
    when = f", seen {seen:%Y-%m-%d %H:%M} UTC" if isinstance(seen, datetime) else ""
    if item["change"] == "removed":
        how = (f"redirected to {_line(item.get('new_url') or '')}"
               if item.get("change_reason") == "redirected" else f"HTTP {item.get('change_status')}")
        return f"Taken down{when}: {how}"
    diff = json.loads(item["diff"]) if isinstance(item.get("diff"), str) else item.get("diff") or {}
    said = []
    if diff.get("title"):
        said.append(f"title now \u201c{_line(item.get('new_title') or '')}\u201d")
    if diff.get("lines_removed") or diff.get("lines_added"):
        removed, added = diff.get("lines_removed", 0), diff.get("lines_added", 0)
        said.append(f"{removed} paragraph{'s' * (removed != 1)} removed, {added} added")
    return f"Revised{when}: " + ("; ".join(said) or "its text changed")


def subject(listed: list[Entry]) -> str:
    fresh = [e for e in listed if not e.change]
    changed = len(listed) - len(fresh)
    told = f"{changed} alerted before changed or taken down" if changed else ""
    if not fresh:
        return told
    counts = Counter(e.topic for e in fresh)
    new = f"{len(fresh)} new: " + ", ".join(f"{t} {n}" for t, n in counts.most_common())
    return f"{new}; {told}" if told else new


@dataclass(frozen=True)
class Letterhead:
    """What a message says around its matches, from the configuration: the topics' names,
    where the report is, and how the recipient is set up (to say how to change it)."""
    names: Mapping[str, str] = field(default_factory=dict)
    report_url: str | None = None
    schedule: str = ""                  # "after each run that finds matches", "daily at 07:00 ..."
    topics: tuple[str, ...] = ()        # the topics the recipient follows
    alerts_file: str = "the alerts file"


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str = "articles a day, last 30 days"


def compose(alert_id: str, recipient: str, sender: str, items: list[dict], now: datetime,
            charts: Mapping[str, Chart | bytes] | None = None,
            head: Letterhead | None = None) -> EmailMessage:
    listed = entries(items)
    head = head or Letterhead()
    drawn = {t: c if isinstance(c, Chart) else Chart(c) for t, c in (charts or {}).items()}
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject(listed)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(alert_id)
    context = {"sections": _sections(listed, head), "period": _period(items, now),
               "counts": _counts(listed, head), "head": head, "recipient": recipient,
               "sender": sender, "charts": drawn, "cid": lambda t: _cid(t)[1:-1],
               "highlight": _highlight, "stories": sum(not e.change for e in listed),
               "changed": sum(bool(e.change) for e in listed)}
    msg.set_content(_TEMPLATES.get_template("alert.txt.j2").render(context))
    msg.add_alternative(_TEMPLATES.get_template("alert.html.j2").render(context), subtype="html")
    page = msg.get_body(("html",))
    assert isinstance(page, EmailMessage)
    for topic, chart in sorted(drawn.items()):
        page.add_related(chart.png, "image", "png", cid=_cid(topic), filename=f"{topic}.png")
    return msg


# Stories a chat message lists per topic: a chat is read on a phone, the report has the rest.
CHAT_STORIES = 8


def chat(alert_id: str, items: list[dict], now: datetime,
         head: Letterhead | None = None) -> tuple[str, str]:
    """The title and Markdown body of an alert for a chat or a webhook: per topic its
    stories as links, the terms that matched, and the alert's id (a receiver that may get
    a message twice, after a connection lost before the answer, can drop the second)."""
    listed = entries(items)
    head = head or Letterhead()
    body = _TEMPLATES.get_template("alert.md.j2").render(
        sections=_sections(listed, head), period=_period(items, now), head=head,
        stories=sum(not e.change for e in listed), changed=sum(bool(e.change) for e in listed),
        alert_id=alert_id, per_section=CHAT_STORIES)
    return subject(listed), body


def _markdown_text(text: str) -> str:
    """`text` shown as written in Markdown: no link, emphasis or heading of its own, and
    no @channel, @here or @everyone that would call a whole chat room."""
    # inside a line (`_line`): what could start a heading or a list cannot; a bracket can
    return re.sub(r"([\\`*_\[\]<>|~])", r"\\\1", _line(text)).replace("@", "@\u200b")


def _markdown_link(url: str) -> str:
    """`url` as a Markdown link target: only http(s), its brackets and spaces encoded."""
    if not re.match(r"^https?://", url, re.I):
        return "#"
    return re.sub(r"[()<>\s]", lambda m: f"%{ord(m.group()):02X}", url)


_TEMPLATES.filters.update(md=_markdown_text, link=_markdown_link)


def viewable_html(message: EmailMessage) -> str:
    """The HTML part with its inline charts as data: URLs, to open in a browser."""
    body = message.get_body(("html",))
    page = body.get_content() if body is not None else ""
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_type() == "image/png":
            data = base64.b64encode(part.get_content()).decode()
            page = page.replace(f"cid:{cid.strip('<>')}", f"data:image/png;base64,{data}")
    return page


@dataclass(frozen=True)
class Section:
    heading: str
    topic: str | None        # None: what a re-tag found, of any topic
    rule: str                # the topic's rule, said once
    entries: list[Entry]


def _sections(listed: list[Entry], head: Letterhead) -> list[Section]:
    """New matches by topic, the topic with most stories first, each topic's stories most
    significant first (more outlets, then more recent); then what a re-tag found."""
    fresh = [e for e in listed if not e.retag and not e.change]
    counts = Counter(e.topic for e in fresh)
    sections = []
    for topic, _ in counts.most_common():
        mine = sorted((e for e in fresh if e.topic == topic), key=lambda e: e.date, reverse=True)
        mine.sort(key=lambda e: len(e.also_in), reverse=True)  # stable: recency among equals
        sections.append(Section(head.names.get(topic, topic), topic,
                                next((e.rule for e in mine if e.rule), ""), mine))
    old = [e for e in listed if e.retag and not e.change]
    if old:
        sections.append(Section(RETAG_HEADING, None, "", old))
    changed = [e for e in listed if e.change]
    if changed:
        sections.append(Section(CHANGES_HEADING, None, "", changed))
    return sections


def _counts(listed: list[Entry], head: Letterhead) -> list[tuple[str, str, int]]:
    """(topic, name, stories) for the header, most first (changes told apart)."""
    counts = Counter(e.topic for e in listed if not e.change)
    return [(t, head.names.get(t, t), n) for t, n in counts.most_common()]


def _period(items: list[dict], now: datetime) -> str:
    """From the first match this message carries to now: what "new" means in it."""
    times = [i["tagged_at"] for i in items if isinstance(i.get("tagged_at"), datetime)]
    start = min(times) if times else now
    return f"{start:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M} UTC"


def _highlight(text: str, terms: tuple[str, ...]) -> Markup:
    """`text` escaped, with every matched term marked wherever it appears, whatever its
    case (a term found as "puno" in the text is marked in "Puno" of the title too)."""
    words = [t for t in terms if t and t != "…"]
    if not words:
        return Markup.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(words, key=len, reverse=True)),
                         re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out += [Markup.escape(text[last:m.start()]), Markup("<mark>%s</mark>") % m.group()]
        last = m.end()
    return Markup("").join([*out, Markup.escape(text[last:])])


def _cid(topic: str) -> str:
    return f"<chart-{re.sub(r'[^a-z0-9-]', '-', topic)}@newsmon>"


def _line(text: str) -> str:
    # Text from feeds and pages goes on one line: a title with CR/LF in it must not look
    # like the start of anything in the message.
    return " ".join(str(text).split())


def _terms(terms, most: int | None = 12) -> tuple[str, ...]:
    """The words that matched, once each, the first `most` of them (all, given None)."""
    terms = json.loads(terms) if isinstance(terms, str) else terms or []
    unique = {t["found"].casefold(): _line(t["found"]) for t in terms}
    found = sorted(unique.values(), key=str.casefold)
    if most is None or len(found) <= most:
        return tuple(found)
    return tuple(found[:most]) + ("…",)


def _date(match: dict) -> str:
    return day_shown(match.get("published"), match.get("date_source"))
