"""News sitemaps (Google's `<news:news>` extension of sitemaps.org) as feeds: for
outlets whose RSS is missing or cut short, a feed's URL may name a sitemap or a
sitemap index instead, and it is polled like any feed. Pure.

A sitemap's `<url>` is an entry: `<loc>` its link, `<news:title>` its title,
`<news:publication_date>` its date. An index lists sitemaps; the poll fetches the newest
few (`children`), since a news index lists one per day or per section and only the
latest hold news. Parsed by lxml with entities and the network off.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Sequence

import lxml.etree

from pipeline.core.text import clean
from pipeline.ingest.feeds import Entry, ParsedFeed

SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
CHILDREN = 3  # the sitemaps of an index read at each poll: the most recently changed

_SITEMAP_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:urlset|sitemapindex)[\s>]")
_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                               huge_tree=False, recover=False)


def _root(body: bytes):
    """The document's root element if it is a sitemap or an index, else None."""
    if not _SITEMAP_TAG.search(body[:4096]):  # a feed is not parsed twice to learn it is one
        return None
    try:
        root = lxml.etree.fromstring(body, _PARSER)
    except lxml.etree.XMLSyntaxError:
        return None
    if root.tag in (f"{{{SITEMAPS}}}urlset", f"{{{SITEMAPS}}}sitemapindex"):
        return root
    return None


def index_children(body: bytes) -> list[str]:
    """The sitemaps a sitemap index lists, the `CHILDREN` most recently changed (by
    `<lastmod>`, the last listed among equals); [] when `body` is not an index."""
    root = _root(body)
    if root is None or root.tag != f"{{{SITEMAPS}}}sitemapindex":
        return []
    listed = []
    for order, sitemap in enumerate(root.iter(f"{{{SITEMAPS}}}sitemap")):
        loc = _text(sitemap, f"{{{SITEMAPS}}}loc")
        if loc:
            listed.append((_when(_text(sitemap, f"{{{SITEMAPS}}}lastmod")) or _EPOCH, order, loc))
    return [loc for _, _, loc in sorted(listed, reverse=True)[:CHILDREN]]


def parse_sitemap(body: bytes, children: Sequence[bytes] = ()) -> ParsedFeed | None:
    """A sitemap as a feed, or an index as the feed its `children` (the bodies of the
    sitemaps it lists) make together; None when `body` is not a sitemap."""
    root = _root(body)
    if root is None:
        return None
    sets = [root] if root.tag == f"{{{SITEMAPS}}}urlset" else \
        [r for r in map(_root, children) if r is not None and r.tag == f"{{{SITEMAPS}}}urlset"]
    # in a news sitemap, a page without <news:news> (about us, a section) is no article
    is_news = any(urlset.find(f".//{{{NEWS}}}news") is not None for urlset in sets)
    entries, names, languages = [], set(), set()
    for urlset in sets:
        for url in urlset.iter(f"{{{SITEMAPS}}}url"):
            loc = _text(url, f"{{{SITEMAPS}}}loc")
            news = url.find(f"{{{NEWS}}}news")
            if not loc or (is_news and news is None):
                continue
            raw = _text(news, f"{{{NEWS}}}publication_date") if news is not None else None
            raw = raw or _text(url, f"{{{SITEMAPS}}}lastmod")
            when = _when(raw)
            if news is not None:
                names.add(_text(news, f"{{{NEWS}}}publication/{{{NEWS}}}name") or "")
                languages.add(_text(news, f"{{{NEWS}}}publication/{{{NEWS}}}language") or "")
            entries.append(Entry(
                link=loc, guid=None,
                title=clean(" ".join((_text(news, f"{{{NEWS}}}title") or "").split())) or "",
                summary="", published=when.isoformat() if when else None, published_raw=raw,
                enclosure=None))
    names.discard("")
    languages.discard("")
    return ParsedFeed(title=", ".join(sorted(names)), version="sitemap-news" if names else "sitemap",
                      language=next(iter(languages)) if len(languages) == 1 else None,
                      bozo=None, entries=tuple(entries))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _text(element, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    text = found.text if found is not None else None
    return text.strip() if text and text.strip() else None


def _when(value: str | None) -> datetime | None:
    """A W3C datetime (2026-11-28, 2026-11-28T10:00:00-05:00, ...Z) in UTC; a date
    alone is taken at midnight UTC. None when it is not one."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).replace(microsecond=0)
