"""Feed documents to entries, and entries to articles. Pure.

feedparser only ever gets bytes: given a URL or a path it would fetch or read it
itself. The DOCTYPE is removed first, because its internal subset is where entity
bombs live and no news feed needs one; references to characters no document may hold
are repaired (`text.py`), since one lone surrogate made feedparser lose the whole feed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html

from pipeline.core.events import stable_id
from pipeline.core.text import clean, repair_references_in_bytes
from pipeline.ingest.urls import article_id, canonical_url

_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Entry:
    link: str | None
    guid: str | None
    title: str
    summary: str
    published: str | None       # ISO 8601, UTC, as the feed states it
    published_raw: str | None
    enclosure: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    version: str
    language: str | None
    bozo: str | None            # why the document is not well-formed, if it is not
    entries: tuple[Entry, ...]
    ttl_minutes: int | None = None  # RSS <ttl>: how long the feed may be cached
    hub: str | None = None      # the WebSub hub the feed names (<link rel="hub">)
    topic: str | None = None    # its own URL as it names it (rel="self"), the hub's topic


@dataclass(frozen=True)
class Article:
    """A feed entry as an article to fetch."""
    article_id: str
    url: str | None             # what to fetch; None when the entry names no URL
    canonical_url: str | None
    guid: str | None
    title: str
    summary: str
    published: str | None
    published_raw: str | None


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    head, rest = body[:65536], body[65536:]
    body = repair_references_in_bytes(_DOCTYPE.sub(b"", head, count=1) + rest)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    feed = parsed.get("feed", {})
    bozo = parsed.get("bozo_exception")
    return ParsedFeed(
        title=_text(feed, "title"),
        version=parsed.get("version") or "",
        language=feed.get("language") or None,
        bozo=f"{type(bozo).__name__}: {bozo}" if bozo else None,
        entries=tuple(_entry(e) for e in parsed.get("entries", [])),
        ttl_minutes=int(feed["ttl"]) if str(feed.get("ttl", "")).strip().isdigit() else None,
        hub=_link(feed, "hub"), topic=_link(feed, "self"),
    )


def _link(feed, rel: str) -> str | None:
    found = next((link.get("href") for link in feed.get("links", []) if link.get("rel") == rel), None)
    return found.strip() if found and re.match(r"^https?://", found.strip(), re.I) else None


def _entry(e) -> Entry:
    stamp = e.get("published_parsed") or e.get("updated_parsed")
    enclosure = next((x.get("href") for x in e.get("enclosures", []) if x.get("href")), None)
    return Entry(
        link=(e.get("link") or "").strip() or None,
        guid=(e.get("id") or "").strip() or None,
        title=_text(e, "title"),
        summary=_text(e, "summary"),
        published=datetime(*stamp[:6]).replace(tzinfo=timezone.utc).isoformat() if stamp else None,
        published_raw=e.get("published") or e.get("updated"),
        enclosure=enclosure.strip() if enclosure else None,
    )


def _text(item, name: str) -> str:
    """The text of a feed's field, read as its type says: HTML through lxml's parser (a
    title of `&lt;b&gt;` is the text "<b>"; tags go, entities are read once), plain text
    as it stands (a title of `a &lt;b&gt;` is those characters); one line, clean."""
    value = item.get(name) or ""
    kind = (item.get(f"{name}_detail") or {}).get("type", "text/html")
    if "html" in kind and ("<" in value or "&" in value):
        try:
            value = lxml.html.fragment_fromstring(value, create_parent="div").text_content()
        except (lxml.etree.ParserError, ValueError):  # nothing a parser could read: as it is
            pass
    return clean(" ".join(value.split())) or ""


def articles(feed_id: str, feed: ParsedFeed) -> list[Article]:
    """The distinct articles a feed lists, in feed order.

    An entry is its canonical link, unless the link is only a site's home page
    (podcasts and some CMSs point every item there): then its enclosure or a
    URL-shaped guid names it. An entry with no URL at all is identified by its guid,
    or its content, within the feed. Each rule looks at the entry alone, so an entry
    keeps its identity from one poll to the next whatever else the feed lists.
    """
    seen: set[str] = set()
    result = []
    for e in feed.entries:
        link = e.link if e.link and not _is_home_page(e.link) else None
        url = link or e.enclosure or (e.guid if _is_url(e.guid) else None) or e.link
        if url:
            canonical = canonical_url(url)
            ident = article_id(canonical)
        else:
            canonical = None
            digest = hashlib.sha256(f"{e.title}\n{e.summary}".encode()).hexdigest()
            ident = stable_id("entry", feed_id, e.guid or digest)
        if ident in seen:
            continue
        seen.add(ident)
        result.append(Article(ident, url, canonical, e.guid, e.title, e.summary,
                              e.published, e.published_raw))
    return result


def _is_home_page(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.path in ("", "/") and not parts.query


def _is_url(value: str | None) -> bool:
    return value is not None and re.match(r"^https?://", value, re.IGNORECASE) is not None
