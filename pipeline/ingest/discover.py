"""A site's feeds, found from one of its pages (I/O): the feeds its `<link
rel="alternate">` tags name (trafilatura's feed finder reads them, and links that look
like feeds where there are none), the news sitemaps its robots.txt lists, and the
paths where sites usually put them. Every candidate is fetched through the same
SSRF-safe `Fetcher` as polls, and kept only if it parses as a feed or a sitemap.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from trafilatura.feeds import FeedParameters, determine_feed

from pipeline.core.settings import Settings
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.net import Fetcher, FetchError
from pipeline.ingest.sitemaps import parse_sitemap

# where sites put feeds when their pages do not say
COMMON_PATHS = ("feed", "feed/", "rss", "rss.xml", "atom.xml", "index.xml", "feeds/posts/default",
                "news-sitemap.xml", "sitemap-news.xml", "sitemap_news.xml")
MAX_CANDIDATES = 30


@dataclass(frozen=True)
class Found:
    url: str
    kind: str        # rss20, atom10, sitemap-news... (feedparser's version, or the sitemap's)
    title: str
    entries: int
    via: str         # "the page", "robots.txt", "a usual path", or "given" (the URL is a feed)


def discover(url: str, settings: Settings) -> list[Found]:
    """The feeds of the site `url` belongs to, those the page names first; a FetchError
    when the page itself cannot be fetched."""
    return asyncio.run(_discover(url, settings))


async def _discover(url: str, settings: Settings) -> list[Found]:
    async with Fetcher(settings) as fetcher:
        page = await fetcher.get(url, max_bytes=settings.max_page_bytes)
        itself = _as_feed(page.url, page.body, page.headers.get("content-type"), "given")
        if itself:
            return [itself]
        parts = urlsplit(page.url)
        root = f"{parts.scheme}://{parts.netloc}/"
        html = page.body.decode("utf-8", "replace")
        named = determine_feed(html, FeedParameters(root, parts.hostname or "", page.url))
        candidates = {u: "the page" for u in named}
        for sitemap in await _robots_sitemaps(fetcher, root, settings):
            candidates.setdefault(sitemap, "robots.txt")
        for path in COMMON_PATHS:
            candidates.setdefault(urljoin(root, path), "a usual path")

        async def check(candidate: str, via: str) -> Found | None:
            try:
                answer = await fetcher.get(candidate, max_bytes=settings.max_feed_bytes)
            except FetchError:
                return None
            return _as_feed(answer.url, answer.body, answer.headers.get("content-type"), via)

        checked = await asyncio.gather(*(check(u, via) for u, via in
                                         list(candidates.items())[:MAX_CANDIDATES]))
    found: dict[str, Found] = {}
    for item in checked:
        if item and item.url not in found:  # /feed and /feed/ often lead to one feed
            found[item.url] = item
    return list(found.values())


async def _robots_sitemaps(fetcher: Fetcher, root: str, settings: Settings) -> list[str]:
    """The sitemaps robots.txt lists whose name says news."""
    try:
        robots = await fetcher.get(urljoin(root, "robots.txt"), max_bytes=settings.max_feed_bytes)
    except FetchError:
        return []
    text = robots.body.decode("utf-8", "replace")
    listed = [urljoin(root, line.split(":", 1)[1].strip()) for line in text.splitlines()
              if line.lower().startswith("sitemap:")]
    return [u for u in listed if "news" in u.lower()]


def _as_feed(url: str, body: bytes, content_type: str | None, via: str) -> Found | None:
    parsed = parse_sitemap(body)
    if parsed is None:
        if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            return None  # a page, not a feed: no need to ask feedparser
        parsed = parse_feed(body, url, content_type)
    if not parsed.version:
        return None
    return Found(url, parsed.version, parsed.title, len(parsed.entries), via)
