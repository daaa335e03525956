"""`newsmon feeds discover`: a site's feeds from one of its pages, served on loopback
(its <link rel="alternate"> tags, its robots.txt, the usual paths), only what parses as
a feed kept, through the same address checks as every fetch."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import CHECKOUT, DEMO_SITE, settings_for

from pipeline.core.config import load_feeds
from pipeline.ingest.discover import discover
from pipeline.ingest.net import FetchError

PAGE = b"""<!doctype html><html><head><title>Sur Andino</title>
<link rel="alternate" type="application/rss+xml" title="Portada" href="/portada.xml">
<link rel="alternate" type="application/rss+xml" title="Gone" href="/gone.xml">
<link rel="alternate" type="text/html" hreflang="en" href="/en/">
</head><body><a href="/regiones/">Regiones</a></body></html>"""


@pytest.fixture
def site(tmp_path, serve):
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_bytes(PAGE)
    shutil.copy(DEMO_SITE / "sur-andino/rss.xml", root / "portada.xml")
    shutil.copy(DEMO_SITE / "economia-andina/atom.xml", root / "atom.xml")  # a usual path
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n"
                                     "Sitemap: /sitemap.xml\nSitemap: /news-daily.xml\n")
    (root / "news-daily.xml").write_text(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://e.org/a</loc>'
        '<news:news><news:publication><news:name>Sur Andino</news:name><news:language>es</news:language>'
        '</news:publication><news:title>Paro</news:title></news:news></url></urlset>')
    server = serve(root)
    return server, settings_for(server, tmp_path / "unused.duckdb")


def test_the_feeds_a_site_names_and_keeps_where_readers_look_are_found(site):
    server, settings = site
    found = discover(f"{server.origin}/index.html", settings)
    assert [(f.url.removeprefix(server.origin), f.kind, f.via) for f in found] == [
        ("/portada.xml", "rss20", "the page"),
        ("/news-daily.xml", "sitemap-news", "robots.txt"),
        ("/atom.xml", "atom10", "a usual path")]
    assert found[0].entries > 0 and found[1].title == "Sur Andino"


def test_a_feed_given_is_itself(site):
    server, settings = site
    found = discover(f"{server.origin}/portada.xml", settings)
    assert [(f.url.removeprefix(server.origin), f.via) for f in found] == [("/portada.xml", "given")]


def test_a_host_outside_the_allowed_ones_is_not_fetched(site):
    server, settings = site
    with pytest.raises(FetchError) as refused:
        discover(f"{server.origin}/index.html", settings.with_(allow_hosts=frozenset()))
    assert refused.value.error_class == "blocked"


def test_discover_add_puts_what_the_feeds_file_lacks_at_its_end_once(site, tmp_path):
    server, _ = site
    feeds = tmp_path / "feeds.yaml"
    shutil.copy(CHECKOUT / "config/feeds.yaml", feeds)
    before = load_feeds(feeds).feeds
    env = {**os.environ, "NEWSMON_ALLOW_HOSTS": server.host_port}

    def newsmon(*args):
        return subprocess.run([sys.executable, "-m", "pipeline", "feeds", "discover", *args,
                               "--feeds", str(feeds)], capture_output=True, text=True, env=env, timeout=60)

    first = newsmon(f"{server.origin}/index.html", "--add")
    assert first.returncode == 0, first.stderr
    assert f"3 feeds added to {feeds}, 0 already there" in first.stdout
    after = load_feeds(feeds).feeds
    assert after[:len(before)] == before
    assert [f.url.removeprefix(server.origin) for f in after[len(before):]] == [
        "/portada.xml", "/news-daily.xml", "/atom.xml"]
    again = newsmon(f"{server.origin}/index.html", "--add")
    assert "0 feeds added" in again.stdout and "3 already there" in again.stdout
    nothing = newsmon(f"{server.origin}/gone.xml")
    assert nothing.returncode == 2 and "cannot fetch" in nothing.stderr and "404" in nothing.stderr
