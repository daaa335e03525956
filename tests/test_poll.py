import hashlib
import json
from collections import Counter
from datetime import timedelta
from urllib.parse import urldefrag

from conftest import fixed_clock, settings_for

from pipeline.core import events as ev
from pipeline.core.config import Feed
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.net import Response
from pipeline.ingest.poll import PollPlan, plan_polls, poll_events, poll_feeds

CLOCK = fixed_clock()


def due(store, feeds, now=None):
    plans, _waiting = plan_polls(store, feeds, now or CLOCK())
    return plans


def duplicates(entries) -> int:
    """Entries that repeat an earlier one: the same guid, or the same page named again
    with another #fragment (two posts of one blog page are one page to fetch)."""
    guids, pages, repeated = set(), set(), 0
    for e in entries:
        page = urldefrag(e.link)[0] if e.link and "#" in e.link else None
        if (e.guid and e.guid in guids) or (page and page in pages):
            repeated += 1
        guids.add(e.guid)
        pages.add(page)
    return repeated


def test_real_feeds_over_loopback_yield_every_entry(shared, serve, store):
    site = serve(shared / "feeds")
    items = [json.loads(line) for line in (shared / "feeds/manifest.jsonl").open()]
    feeds = [Feed(id=f"f{i}", url=f"{site.origin}/{item['file']}") for i, item in enumerate(items)]
    settings = settings_for(site, store.path)
    events = poll_feeds(due(store, feeds), settings, CLOCK)

    polled = {e.feed_id for e in events if e.type == ev.FEED_POLLED}
    assert polled == {f.id for f in feeds}, [e.payload for e in events if e.type == ev.FEED_POLL_FAILED]
    found = Counter(e.feed_id for e in events if e.type == ev.ARTICLE_DISCOVERED)
    for feed, item in zip(feeds, items):
        entries = parse_feed((shared / "feeds" / item["file"]).read_bytes(), feed.url).entries
        assert found[feed.id] == item["n_entries"] - duplicates(entries), item["file"]

    new = store.append(events, "test")
    discovered = {e.article_id for e in events if e.type == ev.ARTICLE_DISCOVERED}
    assert store.rows("plan_articles", {"max_attempts": 3}) and \
        {r["article_id"] for r in store.rows("plan_articles", {"max_attempts": 3})} == discovered
    assert len(new) == len({e.event_id for e in events})

    # Polled again: every feed answers 304 and nothing new is discovered.
    again = poll_feeds(due(store, feeds), settings, CLOCK)
    assert {e.type for e in again} == {ev.FEED_POLLED}
    assert all(e.payload["not_modified"] and e.payload["status"] == 304 for e in again)
    assert all(e.payload["poll_no"] == 2 for e in again)


def test_conditional_headers_are_sent(serve, store, tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site/feed.xml").write_bytes(
        b'<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        b"<link>https://example.org/a</link></item></channel></rss>")
    site = serve(tmp_path / "site")
    feeds = [Feed(id="one", url=f"{site.origin}/feed.xml")]
    settings = settings_for(site, store.path)
    store.append(poll_feeds(due(store, feeds), settings, CLOCK), "run-1")
    poll_feeds(due(store, feeds), settings, CLOCK)
    first, second = [headers for path, headers in site.requests]
    assert "if-none-match" not in first
    assert second["if-none-match"].startswith('"')
    assert "if-modified-since" in second


def test_relative_links_resolve_against_the_feed(shared, serve, store):
    site = serve(shared / "feeds")
    feeds = [Feed(id="gulp", url=f"{site.origin}/rbren__rss-parser/gulp-atom.atom")]
    events = poll_feeds(due(store, feeds), settings_for(site, store.path), CLOCK)
    urls = [e.payload["url"] for e in events if e.type == ev.ARTICLE_DISCOVERED]
    assert urls and all(u.startswith(site.origin + "/gulpjs/gulp/releases/tag/") for u in urls)


def test_unchanged_body_is_not_parsed_again():
    body = b'<rss version="2.0"><channel><item><link>https://e.org/a</link></item></channel></rss>'
    plan = PollPlan("f", "http://127.0.0.1:1/f.xml", 7, content_sha256=hashlib.sha256(body).hexdigest())
    events = poll_events(plan, Response(plan.url, 200, {}, body), CLOCK())
    assert [e.type for e in events] == [ev.FEED_POLLED]
    assert events[0].payload["not_modified"] is True


def test_poll_failures_are_events_and_the_others_go_on(serve, store, tmp_path, port):
    (tmp_path / "site").mkdir()
    (tmp_path / "site/page.html").write_text("<html><body><p>not a feed</p></body></html>")
    (tmp_path / "site/ok.xml").write_text(
        '<rss version="2.0"><channel><item><link>https://e.org/a</link></item></channel></rss>')
    site = serve(tmp_path / "site")
    feeds = [Feed(id="missing", url=f"{site.origin}/gone.xml"),
             Feed(id="html", url=f"{site.origin}/page.html"),
             Feed(id="refused", url=f"http://127.0.0.1:{port}/feed.xml"),
             Feed(id="ok", url=f"{site.origin}/ok.xml")]
    settings = settings_for(site, store.path).with_(
        allow_hosts=frozenset({site.host_port, f"127.0.0.1:{port}"}))
    events = poll_feeds(due(store, feeds), settings, CLOCK)
    failed = {e.feed_id: e.payload["error_class"] for e in events if e.type == ev.FEED_POLL_FAILED}
    assert failed == {"missing": "http_4xx", "html": "not_a_feed", "refused": "connect"}
    assert [e.feed_id for e in events if e.type == ev.FEED_POLLED] == ["ok"]


def test_validators_are_not_reused_for_a_new_url(store):
    store.append([ev.feed_polled("f", 1, CLOCK(), url="http://a/feed", etag='"x"',
                                 last_modified="y", content_sha256="z")], "run")
    same, = due(store, [Feed(id="f", url="http://a/feed")])
    moved, = due(store, [Feed(id="f", url="http://b/feed")])
    assert (same.poll_no, same.etag) == (2, '"x"')
    assert (moved.poll_no, moved.etag, moved.content_sha256) == (2, None, None)


def test_a_failing_feed_backs_off_but_is_never_abandoned(store):
    feed = [Feed(id="f", url="http://a/feed")]
    at = CLOCK()
    for n in range(1, 4):
        store.append([ev.feed_poll_failed("f", n, at, url="http://a/feed", status=503,
                                          error_class="http_5xx", detail="x")], "r")
    plans, waiting = plan_polls(store, feed, at + timedelta(minutes=10))
    assert plans == [] and waiting[0].until == at + timedelta(minutes=20)  # 5, 10, 20...
    assert "3 failed polls" in waiting[0].reason
    plans, _ = plan_polls(store, feed, at + timedelta(minutes=21))
    assert [p.poll_no for p in plans] == [4]
    for n in range(4, 30):
        store.append([ev.feed_poll_failed("f", n, at, url="http://a/feed", status=503,
                                          error_class="http_5xx", detail="x")], "r")
    _, waiting = plan_polls(store, feed, at)
    assert waiting[0].until == at + timedelta(days=1)  # capped, not given up


def test_429_waits_as_long_as_retry_after_says(store):
    at = CLOCK()
    store.append([ev.feed_poll_failed("f", 1, at, url="http://a/feed", status=429,
                                      error_class="http_429", detail="x", retry_after="3600")], "r")
    _, waiting = plan_polls(store, [Feed(id="f", url="http://a/feed")], at)
    assert waiting[0].until == at + timedelta(hours=1)


def test_410_retires_a_feed_visibly_for_a_week(store):
    at = CLOCK()
    store.append([ev.feed_poll_failed("f", 1, at, url="http://a/feed", status=410,
                                      error_class="http_4xx", detail="HTTP 410 Gone")], "r")
    _, waiting = plan_polls(store, [Feed(id="f", url="http://a/feed")], at + timedelta(days=1))
    assert "retired" in waiting[0].reason and waiting[0].until == at + timedelta(days=7)
    assert store.sql("SELECT state, failure_streak, last_error FROM feeds")[1] == [
        ("retired", 1, "http_4xx: HTTP 410 Gone")]


def test_a_permanent_redirect_is_followed_from_then_on(serve, store, tmp_path):
    from servers import RouteServer, redirect
    (tmp_path / "site").mkdir()
    (tmp_path / "site/new.xml").write_text(
        '<rss version="2.0"><channel><item><link>https://e.org/a</link></item></channel></rss>')
    site = serve(tmp_path / "site")
    old = RouteServer({"/old.xml": redirect(site.origin + "/new.xml", 301)})
    try:
        feeds = [Feed(id="f", url=old.origin + "/old.xml")]
        settings = settings_for(site, store.path).with_(
            allow_hosts=frozenset({site.host_port, old.host_port}))
        events = poll_feeds(due(store, feeds), settings, CLOCK)
        assert events[0].payload["moved_to"] == site.origin + "/new.xml"
        store.append(events, "r")
        plan, = due(store, feeds)
        assert plan.url == site.origin + "/new.xml" and plan.etag  # the new address, conditionally
        assert old.requests == ["/old.xml"]
        store.append(poll_feeds([plan], settings, CLOCK), "r2")
        assert store.sql("SELECT state, moved_to FROM feeds")[1] == [("ok", site.origin + "/new.xml")]
        again, = due(store, feeds)
        assert again.url == site.origin + "/new.xml" and again.poll_no == 3
    finally:
        old.close()
