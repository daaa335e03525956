"""Alert messages. Pure: an alert's items (rows of the `matches` view) and the topics'
charts in, an `EmailMessage` out.

Built with the standard `email` package and `policy=SMTP`, which refuses a header with
CR/LF in it, so a hostile title cannot inject headers; every piece of text from a feed
or a page is escaped in the HTML part. Copies of one story (the same wire story in
several outlets) are one entry, with the other outlets named.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

RETAG_HEADING = "Found by re-tagging older articles"


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


def message_id(alert_id: str) -> str:
    return f"<{alert_id}@newsmon>"


def entries(items: list[dict]) -> list[Entry]:
    """One entry per story and topic, in the order the items came."""
    first: dict[tuple, dict] = {}
    outlets: dict[tuple, set[str]] = {}
    for m in items:
        key = (m["topic"], m.get("story_id") or m["article_id"])
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
                           bool(m.get("found_by_retag"))))
    return found


def subject(listed: list[Entry]) -> str:
    counts = Counter(e.topic for e in listed)
    return f"{len(listed)} new: " + ", ".join(f"{t} {n}" for t, n in counts.most_common())


def compose(alert_id: str, recipient: str, sender: str, items: list[dict], now: datetime,
            charts: dict[str, bytes] | None = None) -> EmailMessage:
    listed = entries(items)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject(listed)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(alert_id)
    msg.set_content(_plain(listed))
    msg.add_alternative(_html(listed, set(charts or {})), subtype="html")
    page = msg.get_body(("html",))
    assert isinstance(page, EmailMessage)
    for topic, png in sorted((charts or {}).items()):
        page.add_related(png, "image", "png", cid=_cid(topic), filename=f"{topic}.png")
    return msg


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


def _sections(listed: list[Entry]) -> list[tuple[str, str | None, list[Entry]]]:
    """(heading, topic for its chart, entries): new matches by topic, most first, then
    what a re-tag found."""
    fresh = [e for e in listed if not e.retag]
    counts = Counter(e.topic for e in fresh)
    sections: list[tuple[str, str | None, list[Entry]]] = [
        (f"{t} ({n})", t, [e for e in fresh if e.topic == t]) for t, n in counts.most_common()]
    old = [e for e in listed if e.retag]
    if old:
        sections.append((RETAG_HEADING, None, old))
    return sections


def _plain(listed: list[Entry]) -> str:
    lines = []
    for heading, _, group in _sections(listed):
        lines += [f"== {heading} ==", ""]
        for e in group:
            lines += [f"* {e.title}", f"  {e.outlet} · {e.date}" + (f" · also in {', '.join(e.also_in)}"
                                                                     if e.also_in else ""),
                      f'  "{e.snippet}"',
                      f"  why: {e.topic} matched {', '.join(e.terms)}"
                      + (f" (rule: {e.rule})" if e.rule else ""),
                      f"  {e.url}", ""]
    return "\n".join(lines)


_STYLE = ("font-family:Helvetica,Arial,sans-serif;color:#222;max-width:640px")


def _html(listed: list[Entry], charted: set[str]) -> str:
    e = html.escape
    parts = [f"<html><body style='{_STYLE}'>"]
    for heading, topic, group in _sections(listed):
        parts.append(f"<h2 style='border-bottom:2px solid #ddd;font-size:18px'>{e(heading)}</h2>")
        if topic in charted:
            parts.append(f"<p style='margin:0;color:#777;font-size:12px'>articles a day, last 30 days</p>"
                         f"<img src='cid:{e(_cid(topic)[1:-1])}' alt='{e(topic)}: articles a day, "
                         f"last 30 days' width='480'>")
        for x in group:
            also = f" · also in {e(', '.join(x.also_in))}" if x.also_in else ""
            parts.append(
                f"<div style='margin:14px 0'><a href='{e(x.url)}' style='font-size:16px'>"
                f"{e(x.title)}</a><br><span style='color:#777;font-size:12px'>{e(x.outlet)} · "
                f"{e(x.date)}{also}</span>"
                f"<blockquote style='margin:6px 0;padding-left:8px;border-left:3px solid #ccc'>"
                f"{_highlight(x.snippet, x.terms)}</blockquote>"
                f"<span style='color:#777;font-size:12px'>why: <b>{e(x.topic)}</b> matched "
                f"{e(', '.join(x.terms))}" + (f" · rule <code>{e(x.rule)}</code>" if x.rule else "")
                + "</span></div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _highlight(text: str, terms: tuple[str, ...]) -> str:
    """`text` escaped, with each matched term marked."""
    if not terms:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    out, last = [], 0
    for m in pattern.finditer(text):
        out += [html.escape(text[last:m.start()]), f"<mark>{html.escape(m.group())}</mark>"]
        last = m.end()
    return "".join(out) + html.escape(text[last:])


def _cid(topic: str) -> str:
    return f"<chart-{re.sub(r'[^a-z0-9-]', '-', topic)}@newsmon>"


def _line(text: str) -> str:
    # Text from feeds and pages goes on one line: a title with CR/LF in it must not look
    # like the start of anything in the message.
    return " ".join(str(text).split())


def _terms(terms, most: int = 12) -> tuple[str, ...]:
    """The words that matched, once each, the first `most` of them."""
    terms = json.loads(terms) if isinstance(terms, str) else terms or []
    unique = {t["found"].casefold(): _line(t["found"]) for t in terms}
    found = sorted(unique.values(), key=str.casefold)
    return tuple(found[:most]) + (("…",) if len(found) > most else ())


def _date(match: dict) -> str:
    published = match.get("published")
    if not published:
        return "date unknown"
    day = published.date().isoformat() if hasattr(published, "date") else str(published)[:10]
    return f"{day} (guessed)" if match.get("date_source") == "guess" else day
