"""News sitemaps as a kind of source: served on loopback, polled like a feed, they yield
the articles the equivalent RSS feed yields; an index is read through the sitemaps it
lists; polled again, nothing is discovered twice."""

import shutil
import urllib.request
from datetime import datetime, timedelta, timezone

import lxml.etree
import pytest
from conftest import CHECKOUT, DEMO_SITE, fixed_clock, settings_for

from pipeline.core import events as ev
from pipeline.core.config import Feed
from pipeline.ingest.feeds import articles, parse_feed
from pipeline.ingest.poll import plan_polls, poll_feeds
from pipeline.ingest.sitemaps import NEWS, SITEMAPS, index_children, parse_sitemap

CLOCK = fixed_clock()
FEEDS = ["sur-andino/rss.xml", "economia-andina/atom.xml", "mundo-hoy/rss.xml", "real/feeds/uolNoticias.rss"]


def news_sitemap(feed_url: str, name: str) -> bytes:
    """The news sitemap an outlet would publish beside the feed at `feed_url`: each
    article's link, title and date."""
    with urllib.request.urlopen(feed_url) as served:
        body = served.read()
    urlset = lxml.etree.Element(f"{{{SITEMAPS}}}urlset", nsmap={None: SITEMAPS, "news": NEWS})
    for a in articles("f", parse_feed(body, feed_url)):
        url = lxml.etree.SubElement(urlset, f"{{{SITEMAPS}}}url")
        lxml.etree.SubElement(url, f"{{{SITEMAPS}}}loc").text = a.url
        news = lxml.etree.SubElement(url, f"{{{NEWS}}}news")
        publication = lxml.etree.SubElement(news, f"{{{NEWS}}}publication")
        lxml.etree.SubElement(publication, f"{{{NEWS}}}name").text = name
        lxml.etree.SubElement(publication, f"{{{NEWS}}}language").text = "es"
        if a.published:
            lxml.etree.SubElement(news, f"{{{NEWS}}}publication_date").text = a.published
        lxml.etree.SubElement(news, f"{{{NEWS}}}title").text = a.title
    return lxml.etree.tostring(urlset, xml_declaration=True, encoding="UTF-8")


def index(children: list[tuple[str, str]]) -> bytes:
    root = lxml.etree.Element(f"{{{SITEMAPS}}}sitemapindex", nsmap={None: SITEMAPS})
    for loc, lastmod in children:
        sitemap = lxml.etree.SubElement(root, f"{{{SITEMAPS}}}sitemap")
        lxml.etree.SubElement(sitemap, f"{{{SITEMAPS}}}loc").text = loc
        lxml.etree.SubElement(sitemap, f"{{{SITEMAPS}}}lastmod").text = lastmod
    return lxml.etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def discovered(events) -> set[tuple]:
    failed = [e.payload for e in events if e.type == ev.FEED_POLL_FAILED]
    assert not failed, failed
    return {(e.payload["url"], e.payload["title"], e.payload["published"])
            for e in events if e.type == ev.ARTICLE_DISCOVERED}


@pytest.fixture
def site(tmp_path, serve):
    root = tmp_path / "site"
    shutil.copytree(DEMO_SITE, root)
    return root, serve(root)


def poll(store, site_server, feeds):
    plans, _ = plan_polls(store, feeds, CLOCK())
    events = poll_feeds(plans, settings_for(site_server, store.path), CLOCK)
    store.append(events, f"poll-{len(store.rows('plan_polls'))}")
    return events


@pytest.mark.parametrize("path", FEEDS)
def test_a_news_sitemap_yields_the_articles_of_the_equivalent_feed(site, store, path):
    root, server = site
    (root / "news-sitemap.xml").write_bytes(news_sitemap(f"{server.origin}/{path}", "Sur Andino"))
    from_feed = discovered(poll(store, server, [Feed(id="rss", url=f"{server.origin}/{path}")]))
    from_sitemap = poll(store, server, [Feed(id="news", url=f"{server.origin}/news-sitemap.xml")])
    assert from_feed and discovered(from_sitemap) == from_feed
    polled, = [e for e in from_sitemap if e.type == ev.FEED_POLLED]
    assert polled.payload["version"] == "sitemap-news" and polled.payload["title"] == "Sur Andino"
    # polled again: the same body, nothing new
    again = poll(store, server, [Feed(id="news", url=f"{server.origin}/news-sitemap.xml")])
    assert [e.type for e in again] == [ev.FEED_POLLED] and again[0].payload["not_modified"]


def test_an_index_is_read_through_its_newest_sitemaps(site, store):
    root, server = site
    day = datetime(2026, 11, 28, tzinfo=timezone.utc)
    everything = news_sitemap(f"{server.origin}/{FEEDS[0]}", "Sur Andino")
    tree = lxml.etree.fromstring(everything)
    urls = tree.findall(f"{{{SITEMAPS}}}url")
    # the articles in two daily sitemaps, and an old one that must not be read
    for name, part in [("today", urls[: len(urls) // 2]), ("yesterday", urls[len(urls) // 2:])]:
        urlset = lxml.etree.Element(f"{{{SITEMAPS}}}urlset", nsmap={None: SITEMAPS, "news": NEWS})
        urlset.extend(part)
        (root / f"news-{name}.xml").write_bytes(lxml.etree.tostring(urlset))
    (root / "index.xml").write_bytes(index([
        ("news-yesterday.xml", (day - timedelta(days=1)).isoformat()),
        ("news-2019.xml", "2019-01-01"),  # listed, not there: read, the poll would fail
        ("news-today.xml", day.isoformat()),
        (f"{server.origin}/news-today.xml?copy=1", "2026-11-01"),
        (f"{server.origin}/news-today.xml?copy=2", "2026-10-01")]))
    assert index_children((root / "index.xml").read_bytes())[:2] == ["news-today.xml", "news-yesterday.xml"]
    from_feed = discovered(poll(store, server, [Feed(id="rss", url=f"{server.origin}/{FEEDS[0]}")]))
    from_index = poll(store, server, [Feed(id="news", url=f"{server.origin}/index.xml")])
    assert discovered(from_index) == from_feed


def test_an_index_whose_sitemap_is_missing_fails_the_poll_and_is_tried_again(site, store):
    root, server = site
    (root / "index.xml").write_bytes(index([("news-today.xml", "2026-11-28")]))
    failed = poll(store, server, [Feed(id="news", url=f"{server.origin}/index.xml")])
    assert [(e.type, e.payload["status"]) for e in failed] == [(ev.FEED_POLL_FAILED, 404)]
    (root / "news-today.xml").write_bytes(news_sitemap(f"{server.origin}/{FEEDS[0]}", "Sur Andino"))
    later = CLOCK() + timedelta(hours=1)
    plans, _ = plan_polls(store, [Feed(id="news", url=f"{server.origin}/index.xml")], later)
    events = poll_feeds(plans, settings_for(server, store.path), lambda: later)
    assert sum(e.type == ev.ARTICLE_DISCOVERED for e in events) > 5


def test_a_news_sitemap_as_outlets_write_them():
    feed = parse_sitemap((CHECKOUT / "tests/data/sitemaps/news.xml").read_bytes())
    assert feed is not None and (feed.title, feed.language) == ("Los Andes", "es")
    # dates in UTC, titles on one line with entities read once, pages without news left out
    assert [(e.link.rsplit("/", 2)[-2], e.title, e.published) for e in feed.entries] == [
        ("paro-en-puno-bloqueo-en-desaguadero", "Paro en Puno: bloqueo en Desaguadero & Ilave",
         "2026-11-28T12:15:00+00:00"),
        ("cosco-chancay", "Cosco y el puerto de Chancay", "2026-11-27T00:00:00+00:00")]


def test_what_is_not_a_sitemap_is_left_to_the_feed_parser():
    rss = (DEMO_SITE / FEEDS[0]).read_bytes()
    assert parse_sitemap(rss) is None and index_children(rss) == []
    bomb = (b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&b;</loc></url></urlset>')
    parsed = parse_sitemap(bomb)
    assert parsed is None or all("aaaaaaaaaa" not in e.link for e in parsed.entries)
