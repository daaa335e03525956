"""Events: the immutable facts the pipeline records. Pure.

Every event id is a hash of the event's natural key (feed + poll number, article +
fetch attempt, article + topic + ruleset version...). Never the clock, never a random
source: a retried task or a second run produces the same ids, and the store's unique
key on `event_id` turns the retry into a no-op.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

SCHEMA_VERSION = 1

FEED_POLLED = "FeedPolled"
FEED_POLL_FAILED = "FeedPollFailed"
FEED_CONFIGURED = "FeedConfigured"
FEED_SUBSCRIBED = "FeedSubscribed"
ARTICLE_DISCOVERED = "ArticleDiscovered"
ARTICLE_FETCHED = "ArticleFetched"
ARTICLE_FETCH_FAILED = "ArticleFetchFailed"
ARTICLE_EXTRACTED = "ArticleExtracted"
ARTICLE_EXTRACTION_FAILED = "ArticleExtractionFailed"
ARTICLE_RECHECKED = "ArticleRechecked"
ARTICLE_REVISED = "ArticleRevised"
ARTICLE_REMOVED = "ArticleRemoved"
TOPIC_MATCHED = "TopicMatched"
TOPIC_UNMATCHED = "TopicUnmatched"
STORY_CLUSTERED = "StoryClustered"
ALERT_DECIDED = "AlertDecided"
ALERT_CLAIMED = "AlertClaimed"
ALERT_SENT = "AlertSent"
ALERT_FAILED = "AlertFailed"

EVENT_TYPES = (
    FEED_CONFIGURED, FEED_SUBSCRIBED, FEED_POLLED, FEED_POLL_FAILED, ARTICLE_DISCOVERED, ARTICLE_FETCHED,
    ARTICLE_FETCH_FAILED, ARTICLE_EXTRACTED, ARTICLE_EXTRACTION_FAILED, ARTICLE_RECHECKED,
    ARTICLE_REVISED, ARTICLE_REMOVED, TOPIC_MATCHED, TOPIC_UNMATCHED, STORY_CLUSTERED, ALERT_DECIDED,
    ALERT_CLAIMED, ALERT_SENT, ALERT_FAILED,
)


def stable_id(*parts: object, size: int = 16) -> str:
    """A short hex digest of the parts, the same in every process and on every run."""
    key = "\x1f".join(str(p) for p in parts)
    return hashlib.blake2b(key.encode("utf-8"), digest_size=size).hexdigest()


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    type: str
    stream: str
    occurred_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    # Lifted out of the payload because trend queries filter on them.
    feed_id: str | None = None
    article_id: str | None = None
    topic: str | None = None
    # Recorded only together with the event of this id (the fetch of its attempt): an
    # append skips it when that event was recorded before, by another run that decided
    # the attempt otherwise. Not stored: it shapes the append, not the fact.
    follows: str | None = None


def _event(type_: str, key: tuple, stream: str, at: datetime, payload: dict, **lifted) -> Event:
    return Event(stable_id(*key), type_, stream, at, payload, **lifted)


# A poll is identified by its feed and its number in that feed's history: the planner
# hands out the next number, so a retried poll task writes the same ids, and a poll
# that succeeded and one that failed can never both be recorded for one number.
def poll_key(feed_id: str, poll_no: int) -> tuple:
    return ("poll", feed_id, poll_no)


def feed_configured(feed_id: str, at: datetime, after: str | None, **payload) -> Event:
    """What the feeds file says about a feed (name, country, language, kind), recorded
    when it first differs from what was recorded last (`after`: that event's id, so that
    a change back to an earlier description is a fact of its own)."""
    return _event(FEED_CONFIGURED, ("configured", feed_id, after, sorted(payload.items())),
                  f"feed:{feed_id}", at, {"after": after, **payload}, feed_id=feed_id)


def feed_subscribed(feed_id: str, at: datetime, hub: str, topic: str, lease_until: datetime,
                    **payload) -> Event:
    """A WebSub hub confirmed a subscription to the feed (its verification of intent),
    pushing new content to us until `lease_until`."""
    return _event(FEED_SUBSCRIBED, ("subscribed", feed_id, hub, topic, lease_until.isoformat()),
                  f"feed:{feed_id}", at, {"hub": hub, "topic": topic,
                                          "lease_until": lease_until.isoformat(), **payload},
                  feed_id=feed_id)


def feed_polled(feed_id: str, poll_no: int, at: datetime, **payload) -> Event:
    return _event(FEED_POLLED, poll_key(feed_id, poll_no), f"feed:{feed_id}", at,
                  {"poll_no": poll_no, **payload}, feed_id=feed_id)


def feed_poll_failed(feed_id: str, poll_no: int, at: datetime, **payload) -> Event:
    return _event(FEED_POLL_FAILED, poll_key(feed_id, poll_no), f"feed:{feed_id}", at,
                  {"poll_no": poll_no, **payload}, feed_id=feed_id)


def article_discovered(article_id: str, feed_id: str, at: datetime, **payload) -> Event:
    return _event(ARTICLE_DISCOVERED, ("discovered", article_id), f"article:{article_id}", at,
                  {"feed_id": feed_id, **payload}, feed_id=feed_id, article_id=article_id)


# Fetching and extracting are keyed by the attempt the planner handed out, so the
# events of one attempt are all-or-nothing, whichever run commits them first.
def article_fetched(article_id: str, attempt: int, at: datetime, **payload) -> Event:
    return _event(ARTICLE_FETCHED, ("fetch", article_id, attempt), f"article:{article_id}", at,
                  {"attempt": attempt, **payload}, article_id=article_id)


def article_fetch_failed(article_id: str, attempt: int, at: datetime, **payload) -> Event:
    return _event(ARTICLE_FETCH_FAILED, ("fetch", article_id, attempt), f"article:{article_id}",
                  at, {"attempt": attempt, **payload}, article_id=article_id)


def article_extracted(article_id: str, attempt: int, at: datetime, **payload) -> Event:
    return _event(ARTICLE_EXTRACTED, ("extract", article_id, attempt), f"article:{article_id}",
                  at, {"attempt": attempt, **payload}, article_id=article_id)


def article_extraction_failed(article_id: str, attempt: int, at: datetime, **payload) -> Event:
    return _event(ARTICLE_EXTRACTION_FAILED, ("extract", article_id, attempt),
                  f"article:{article_id}", at, {"attempt": attempt, **payload},
                  article_id=article_id)


# A matched article is fetched again on a schedule (ingest/revisions.py); each check is
# numbered in the article's history, and ends as one of three facts: the page read the
# same (or could not be read: `outcome`), it was revised, or it was taken down.
def _check(type_: str, article_id: str, check: int, at: datetime, payload: dict) -> Event:
    return _event(type_, ("recheck", article_id, check), f"article:{article_id}", at,
                  {"check": check, **payload}, article_id=article_id)


def article_rechecked(article_id: str, check: int, at: datetime, **payload) -> Event:
    return _check(ARTICLE_RECHECKED, article_id, check, at, payload)


def article_revised(article_id: str, check: int, at: datetime, **payload) -> Event:
    return _check(ARTICLE_REVISED, article_id, check, at, payload)


def article_removed(article_id: str, check: int, at: datetime, **payload) -> Event:
    return _check(ARTICLE_REMOVED, article_id, check, at, payload)


def topic_matched(article_id: str, topic: str, ruleset: str, at: datetime, **payload) -> Event:
    return _event(TOPIC_MATCHED, ("topic", article_id, topic, ruleset), f"article:{article_id}",
                  at, {"topic": topic, "ruleset_version": ruleset, **payload},
                  article_id=article_id, topic=topic)


def topic_unmatched(article_id: str, topic: str, ruleset: str, at: datetime, **payload) -> Event:
    return _event(TOPIC_UNMATCHED, ("topic", article_id, topic, ruleset),
                  f"article:{article_id}", at,
                  {"topic": topic, "ruleset_version": ruleset, **payload},
                  article_id=article_id, topic=topic)


# An article belongs to one story, decided once by a clustering method.
def story_clustered(article_id: str, story_id: str, method: str, at: datetime,
                    **payload) -> Event:
    return _event(STORY_CLUSTERED, ("story", article_id, method), f"article:{article_id}", at,
                  {"story_id": story_id, "method": method, **payload}, article_id=article_id)


# An alert is one message to one recipient about a set of matches; the alert id is
# derived from both, so deciding the same alert twice yields the same id.
def alert_id(recipient: str, match_ids: list[str]) -> str:
    return stable_id("alert", recipient, *sorted(match_ids))


def alert_decided(alert: str, recipient: str, at: datetime, **payload) -> Event:
    return _event(ALERT_DECIDED, ("alert", alert, recipient, "decided"), f"alert:{alert}", at,
                  {"recipient": recipient, **payload})


# A run takes an alert from the outbox before sending it, in the transaction that finds
# it still pending, so that runs at once never send one message twice; the claim lapses
# at `until`, so that a run that died holding it does not hold it for ever.
def alert_claimed(alert: str, recipient: str, attempt: int, at: datetime, **payload) -> Event:
    return _event(ALERT_CLAIMED, ("alert", alert, recipient, "claimed", attempt),
                  f"alert:{alert}", at, {"recipient": recipient, "attempt": attempt, **payload})


def alert_sent(alert: str, recipient: str, at: datetime, **payload) -> Event:
    return _event(ALERT_SENT, ("alert", alert, recipient, "sent"), f"alert:{alert}", at,
                  {"recipient": recipient, **payload})


def alert_failed(alert: str, recipient: str, attempt: int, at: datetime, **payload) -> Event:
    return _event(ALERT_FAILED, ("alert", alert, recipient, "failed", attempt), f"alert:{alert}",
                  at, {"recipient": recipient, "attempt": attempt, **payload})
