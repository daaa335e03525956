"""Alert decisions. Pure: a recipient's settings, the matches they have not been told
about, and the time in; the alert due now, if any, out.

An alert, once decided, is a fixed set of items (article x topic) recorded as an
`AlertDecided` event before anything is sent: the outbox. Sending reads the outbox, so a
retry after a crash or a refused delivery sends the very same message (same items, same
Message-ID) instead of deciding anew, and two runs at once cannot both decide the same
items (deciding happens inside one store transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipeline.core.config import Recipient
from pipeline.core.events import alert_id


@dataclass(frozen=True)
class Item:
    article_id: str
    topic: str
    match_event_id: str
    change_event_id: str | None = None  # an item telling of a revision or a removal

    def as_dict(self) -> dict:
        told = {"change_event_id": self.change_event_id} if self.change_event_id else {}
        return {"article_id": self.article_id, "topic": self.topic,
                "match_event_id": self.match_event_id, **told}

    @property
    def key(self) -> str:
        return self.change_event_id or self.match_event_id


@dataclass(frozen=True)
class Alert:
    alert_id: str
    recipient: str
    mode: str
    items: tuple[Item, ...]

    @property
    def topics(self) -> list[str]:
        return sorted({i.topic for i in self.items})


def digest_time(recipient: Recipient, now: datetime) -> datetime:
    """The latest moment, at or before `now`, when this recipient's digest was due."""
    zone = ZoneInfo(recipient.timezone)
    local = now.astimezone(zone)
    hour, minute = map(int, recipient.digest_at.split(":"))
    due = datetime.combine(local.date(), time(hour, minute), zone)
    return due if due <= local else due - timedelta(days=1)


def is_due(recipient: Recipient, now: datetime, last_digest: datetime | None) -> bool:
    if recipient.mode == "immediate":
        return True
    return last_digest is None or last_digest < digest_time(recipient, now)


def decide(recipient: Recipient, pending: list[dict], now: datetime,
           last_digest: datetime | None = None) -> Alert | None:
    """The alert due for `recipient` now, or None, from the matches pending for them
    (which their filters already chose: `outbox.pending`). A digest holds what was
    matched up to its hour; what comes later waits for the next one."""
    if not is_due(recipient, now, last_digest):
        return None
    cutoff = digest_time(recipient, now) if recipient.mode == "digest" else None
    items = tuple(Item(m["article_id"], m["topic"], m["match_event_id"], m.get("change_event_id"))
                  for m in pending if cutoff is None or m["tagged_at"] <= cutoff)
    if not items:
        return None
    return Alert(alert_id(recipient.key, [i.key for i in items]), recipient.key,
                 recipient.mode, items)
