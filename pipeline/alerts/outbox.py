"""The alert stage (I/O around `policy.py` and `message.py`): decide what is due and
record it in the outbox, in one transaction; then send what the outbox holds and record
each outcome, by email (`smtp.py`) or to a chat or webhook (`chat.py`). `preview`
composes without recording or sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Mapping

from pipeline.alerts import chat, smtp
from pipeline.alerts.errors import SendError
from pipeline.alerts.message import Chart, Letterhead, compose, message_id, viewable_html
from pipeline.alerts.message import chat as chat_message
from pipeline.alerts.pending import pending_for, waiting_for
from pipeline.alerts.policy import decide
from pipeline.alerts.smtp import SmtpServer
from pipeline.core import events as ev
from pipeline.core.config import AlertsFile, Recipient
from pipeline.store import Store

CHART_DAYS = 30
# How long a claimed alert is left to the run that claimed it: longer than one send can
# take (a 30 s timeout per SMTP step), short enough that an alert whose run died goes
# out within the hour.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class Outcome:
    events: list[ev.Event] = field(default_factory=list)   # what was recorded
    new_ids: set[str] = field(default_factory=set)
    pending: int = 0                                         # alerts left in the outbox
    taken: int = 0                                           # left to another run sending them


@dataclass(frozen=True)
class Channels:
    """How alerts reach their recipients: the mail server (None: email alerts wait for
    one), and the recipients of the alerts file by key, with what their messages say
    around the matches."""
    server: SmtpServer | None
    sender: str
    recipients: Mapping[str, Recipient] = field(default_factory=dict)
    heads: Mapping[str, Letterhead] = field(default_factory=dict)

    @classmethod
    def of(cls, alerts: AlertsFile, server: SmtpServer | None,
           heads: Mapping[str, Letterhead] | None = None) -> "Channels":
        return cls(server, alerts.sender, {r.key: r for r in alerts.recipients}, heads or {})

    def reach(self, key: str) -> bool:
        """Whether an alert to `key` can be sent now: a chat always, an email with a server.
        A chat no longer in the alerts file is tried too, so that it fails for good (and
        says why) instead of waiting in the outbox for ever."""
        recipient = self.recipients.get(key)
        if recipient is None:
            return "@" not in key or self.server is not None
        return bool(recipient.url) or self.server is not None


def decide_due(store: Store, alerts: AlertsFile, now: datetime, run_id: str,
               channels: Channels | None = None) -> Outcome:
    """Decide the due alert of every recipient `channels` can reach (all, given None)
    and put it in the outbox, all in one transaction: a second process deciding at the
    same time waits, then finds the items taken."""
    outcome = Outcome()
    with store.transaction(run_id) as tx:
        for recipient in alerts.recipients:
            if channels is not None and not channels.reach(recipient.key):
                continue
            pending = pending_for(tx, recipient)
            last = tx.rows("last_digest", {"recipient": recipient.key})[0]["decided_at"]
            alert = decide(recipient, pending, now, last)
            if alert:
                decided = ev.alert_decided(alert.alert_id, alert.recipient, now, mode=alert.mode,
                                           topics=alert.topics,
                                           items=[i.as_dict() for i in alert.items])
                outcome.events.append(decided)
                outcome.new_ids |= tx.append([decided])
    return outcome


def send_outbox(store: Store, channels: Channels, now: datetime, run_id: str) -> Outcome:
    """Send every alert the outbox holds that `channels` can reach, each claimed first and
    its outcome recorded before the next send. An alert another run has claimed is left
    to it; an email while there is no mail server stays in the outbox."""
    return _send_each(store, store.rows("outbox"), _claim, channels, now, run_id)


def retry_failed(store: Store, channels: Channels, now: datetime, run_id: str) -> Outcome:
    """Send again the alerts that failed for good (once the cause is fixed: a password, a
    TLS setting, a recipient's address), each reopened by a claim marked `retry` in the
    transaction that finds it still failed: two runs retrying at once send it once."""
    return _send_each(store, store.rows("failed_alerts"), _reopen, channels, now, run_id)


def _send_each(store: Store, rows: list[dict], claim_one, channels: Channels,
               now: datetime, run_id: str) -> Outcome:
    outcome = Outcome()
    drawn: dict[tuple, Chart] = {}  # charts already drawn in this send
    for row in rows:
        if not channels.reach(row["recipient"]):
            outcome.pending += 1
            continue
        claim = claim_one(store, row, now, run_id)
        if claim is None:
            outcome.taken += 1
            continue
        outcome.events.append(claim)
        outcome.new_ids.add(claim.event_id)
        items = store.rows("alert_items", {"alert_id": row["alert_id"]})
        about = {"mode": row["mode"], "message_id": message_id(row["alert_id"])}
        try:
            title = _deliver(store, channels, row, items, now, drawn)
            event = ev.alert_sent(row["alert_id"], row["recipient"], now, **about, subject=title)
        except SendError as error:
            event = ev.alert_failed(row["alert_id"], row["recipient"], claim.payload["attempt"],
                                    now, **about, error_class=error.error_class,
                                    detail=error.detail, retryable=error.retryable)
            outcome.pending += error.retryable
        outcome.events.append(event)
        outcome.new_ids |= store.append([event], run_id)
    return outcome


def _deliver(store: Store, channels: Channels, row: dict, items: list[dict], now: datetime,
             drawn: dict[tuple, Chart]) -> str:
    """Send one alert the way its recipient is reached; its subject or title."""
    key, head = row["recipient"], channels.heads.get(row["recipient"])
    recipient = channels.recipients.get(key)
    if recipient is not None and recipient.url:
        title, body = chat_message(row["alert_id"], items, now, head)
        chat.send(recipient.url, title, body)
        return title
    if "@" not in key:
        raise SendError("config", f"{key} is no longer in the alerts file", retryable=False)
    assert channels.server is not None  # `reach` saw to it
    message = compose(row["alert_id"], key, channels.sender, items, now,
                      _charts(store, items, now, drawn), head)
    smtp.send(message, channels.server)
    return str(message["Subject"])


def _claim(store: Store, row: dict, now: datetime, run_id: str) -> ev.Event | None:
    """Take one alert from the outbox for this run, in the transaction that finds it
    still pending and not claimed by a run that may still be sending it; None if not."""
    with store.transaction(run_id) as tx:
        state = tx.rows("alert_claim", {"alert_id": row["alert_id"]})[0]
        if not state["pending"] or (state["claimed_until"] and state["claimed_until"] > now):
            return None
        claim = ev.alert_claimed(row["alert_id"], row["recipient"], state["attempts"] + 1, now,
                                 run=run_id, until=(now + CLAIM_LEASE).isoformat())
        return claim if tx.append([claim]) else None


def _reopen(store: Store, row: dict, now: datetime, run_id: str) -> ev.Event | None:
    """Take one alert that failed for good, for this run to send again; None if another
    run has reopened it (or it was sent) since it was listed."""
    with store.transaction(run_id) as tx:
        state = tx.rows("alert_claim", {"alert_id": row["alert_id"]})[0]
        if not state["failed"]:
            return None
        claim = ev.alert_claimed(row["alert_id"], row["recipient"], state["attempts"] + 1, now,
                                 run=run_id, until=(now + CLAIM_LEASE).isoformat(), retry=True)
        return claim if tx.append([claim]) else None


def preview(store: Store, alerts: AlertsFile, now: datetime, folder: Path,
            heads: Mapping[str, Letterhead] | None = None) -> list[Path]:
    """Write the message each recipient would get now, as .eml and .html (a chat or
    webhook recipient: as .md, its title the first line), whatever the hour of their
    digest; nothing is recorded or sent."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn: dict[tuple, Chart] = {}
    written = []
    for recipient in alerts.recipients:
        pending = pending_for(store, recipient)
        # as if immediate: whatever the hour of a digest
        alert = decide(recipient.model_copy(update={"mode": "immediate"}), pending, now)
        if alert is None:
            continue
        wanted = {(i.article_id, i.topic) for i in alert.items}
        items = [m for m in pending if (m["article_id"], m["topic"]) in wanted]
        head = (heads or {}).get(recipient.key)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", recipient.key)
        if recipient.url:
            title, body = chat_message(alert.alert_id, items, now, head)
            (folder / f"{name}.md").write_text(f"{title}\n\n{body}", encoding="utf-8")
            written.append(folder / f"{name}.md")
            continue
        message = compose(alert.alert_id, recipient.key, alerts.sender, items, now,
                          _charts(store, items, now, drawn), head)
        (folder / f"{name}.eml").write_bytes(message.as_bytes())
        (folder / f"{name}.html").write_text(viewable_html(message), encoding="utf-8")
        written.append(folder / f"{name}.eml")
    return written


def _charts(store: Store, items: list[dict], now: datetime,
            drawn_before: dict[tuple, Chart]) -> dict[str, Chart]:
    """Per topic, its articles a day over 30 days: the last 30, or, when every article the
    message carries is older (a backlog, a re-tag), the 30 days up to the latest of them,
    not 30 empty ones that say "no matches" above seven. A chart drawn for an earlier
    message of the same send is reused from `drawn_before` (read once, drawn once)."""
    # Imported here: matplotlib takes half a second to import, and most runs send no alert.
    from pipeline.trends import charts
    drawn = {}
    for topic in sorted({i["topic"] for i in items}):
        days = [i["published"].date() for i in items
                if i["topic"] == topic and isinstance(i.get("published"), datetime)]
        end = now.date()
        if days and max(days) < end - timedelta(days=CHART_DAYS - 1):
            end = max(days)
        start = end - timedelta(days=CHART_DAYS - 1)
        if (topic, start, end) not in drawn_before:
            rows = store.rows("trends_day", {"topic": topic, "since": start})
            caption = "articles a day, last 30 days" if end == now.date() \
                else f"articles a day, {start} to {end}"
            drawn_before[(topic, start, end)] = Chart(charts.sparkline(rows, topic, start, end), caption)
        drawn[topic] = drawn_before[(topic, start, end)]
    return drawn


def letterheads(alerts: AlertsFile, names: Mapping[str, str], alerts_file: str) -> dict[str, Letterhead]:
    """Per recipient, what their messages say around the matches."""
    return {r.key: Letterhead(
        names=names, report_url=alerts.report_url, topics=tuple(r.topics), alerts_file=alerts_file,
        schedule="after each run that finds matches" if r.mode == "immediate"
        else f"in a daily digest at {r.digest_at} ({r.timezone})") for r in alerts.recipients}


def waiting(store: Store, alerts: AlertsFile) -> int:
    """How many matches wait for an alert (when there is no mail server to send them)."""
    return sum(waiting_for(store, r) for r in alerts.recipients)
