"""What waits for each recipient: the matches (and the changes they asked to hear of)
not yet in an alert to them, as the store's read models hold them (I/O, named
queries). Apart from `outbox.py`, which sends them, so that `newsmon status` can count
them without loading what sends mail and posts to chats."""

from __future__ import annotations

from pipeline.core.config import Recipient
from pipeline.core.resources import sql_text
from pipeline.store import Reading, Store


def pending_for(source, recipient: Recipient) -> list[dict]:
    """The matches waiting for an alert to this recipient, as they would get them
    (`source`: the store, or a transaction on it)."""
    pending = source.rows("pending_matches", _wants(recipient),
                          fill={"pending": sql_text("queries/pending_mentions").strip().rstrip(";")})
    if recipient.changes:
        pending += source.rows("pending_changes", {"recipient": recipient.key,
                                                   "topics": recipient.topics})
    return pending


def waiting_for(store: Store | Reading, recipient: Recipient) -> int:
    """How many matches (and changes they asked to hear of) wait for an alert to this
    recipient."""
    changes = store.count("pending_changes", {"recipient": recipient.key, "topics": recipient.topics}) \
        if recipient.changes else 0
    return store.count("pending_mentions", _wants(recipient)) + changes


def _wants(recipient: Recipient) -> dict:
    """The parameters of `pending_mentions` that say what a recipient wants: the one
    place their filters are read."""
    return {"recipient": recipient.key, "topics": recipient.topics,
            "languages": recipient.languages, "sources": recipient.sources,
            "min_score": recipient.min_score, "immediate": recipient.mode == "immediate"}
