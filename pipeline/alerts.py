"""Alert decisions and messages. Pure: pending matches in, an `Alert` and its
`EmailMessage` out.

Messages are built with the standard `email` package and `policy=SMTP`, which refuses
a header with CR/LF in it, so a hostile title cannot inject headers. Article text in
the HTML part is escaped.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from .events import alert_id


@dataclass(frozen=True)
class Alert:
    alert_id: str
    recipient: str
    matches: tuple[dict, ...]   # rows of the pending_matches query

    @property
    def match_ids(self) -> list[str]:
        return [m["match_event_id"] for m in self.matches]

    @property
    def items(self) -> list[dict]:
        """What the alert is about: one article and topic each."""
        return [{"article_id": m["article_id"], "topic": m["topic"]} for m in self.matches]

    @property
    def topics(self) -> list[str]:
        return sorted({m["topic"] for m in self.matches})


def decide(recipient: str, pending: list[dict]) -> Alert | None:
    if not pending:
        return None
    ids = [m["match_event_id"] for m in pending]
    return Alert(alert_id(recipient, ids), recipient, tuple(pending))


def subject(alert: Alert) -> str:
    counts = Counter(m["topic"] for m in alert.matches)
    parts = ", ".join(f"{topic} {n}" for topic, n in counts.most_common())
    return f"{len(alert.matches)} new: {parts}"


def message_id(alert: Alert) -> str:
    return f"<{alert.alert_id}@newsmon>"


def compose(alert: Alert, sender: str, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = alert.recipient
    msg["Subject"] = " ".join(subject(alert).split())
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(alert)
    by_topic: dict[str, list[dict]] = defaultdict(list)
    for m in alert.matches:
        # Text from feeds and pages goes on one line each: a title with CR/LF in it
        # must not look like the start of anything in the message.
        by_topic[m["topic"]].append({k: " ".join(v.split()) if isinstance(v, str) and k != "terms"
                                     else v for k, v in m.items()})
    msg.set_content(_plain(by_topic))
    msg.add_alternative(_html(by_topic), subtype="html")
    return msg


def _terms(match: dict) -> list[str]:
    terms = match.get("terms")
    terms = json.loads(terms) if isinstance(terms, str) else terms or []
    unique = {t["found"].casefold(): t["found"] for t in terms}
    return sorted(unique.values(), key=str.casefold)


def _date(match: dict) -> str:
    published = match.get("published")
    if not published:
        return "date unknown"
    day = published.date().isoformat() if hasattr(published, "date") else str(published)[:10]
    return f"{day} (guessed)" if match.get("date_source") == "guess" else day


def _plain(by_topic: dict[str, list[dict]]) -> str:
    lines = []
    for topic, matches in by_topic.items():
        lines += [f"== {topic} ({len(matches)}) ==", ""]
        for m in matches:
            lines += [f"* {m['title'] or '(no title)'}",
                      f"  {m['site'] or m['feed_id'] or ''} · {_date(m)}",
                      f"  \"{m['snippet']}\"",
                      f"  matched: {', '.join(_terms(m))}",
                      f"  {m['url']}", ""]
    return "\n".join(lines)


def _html(by_topic: dict[str, list[dict]]) -> str:
    e = html.escape
    parts = ["<html><body style=\"font-family:sans-serif\">"]
    for topic, matches in by_topic.items():
        parts.append(f"<h2>{e(topic)} ({len(matches)})</h2><ul>")
        for m in matches:
            parts.append(
                f"<li><a href=\"{e(m['url'] or '')}\">{e(m['title'] or '(no title)')}</a>"
                f"<br><small>{e(m['site'] or m['feed_id'] or '')} · {e(_date(m))}</small>"
                f"<blockquote>{e(m['snippet'] or '')}</blockquote>"
                f"<small>matched: {e(', '.join(_terms(m)))}</small></li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
