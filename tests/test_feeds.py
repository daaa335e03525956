import json
from collections import Counter

import pytest

from pipeline.ingest.feeds import articles, parse_feed


def manifest(shared):
    return [json.loads(line) for line in (shared / "feeds" / "manifest.jsonl").open()]


def test_every_real_feed_parses_to_its_entries(shared):
    for item in manifest(shared):
        body = (shared / "feeds" / item["file"]).read_bytes()
        feed = parse_feed(body, f"http://127.0.0.1:1/{item['file']}")
        assert len(feed.entries) == item["n_entries"], item["file"]


def test_legacy_charsets_are_decoded(shared):
    feed = parse_feed((shared / "feeds/miniflux__v2/encoding_ISO-8859-1.xml").read_bytes(),
                      "http://127.0.0.1:1/golem.xml")
    titles = " ".join(e.title for e in feed.entries)
    assert any(ch in titles for ch in "äöüÄÖÜß")
    assert "Ã" not in titles  # UTF-8 read as Latin-1 would leave this behind


def test_podcast_items_pointing_at_the_home_page_stay_apart(shared):
    # 131 episodes whose <link> is the show's home page; two share one guid.
    feed = parse_feed((shared / "feeds/rbren__rss-parser/itunes-missing-image.rss").read_bytes(),
                      "http://127.0.0.1:1/podcast.rss")
    found = articles("podcast", feed)
    guids = Counter(e.guid for e in feed.entries)
    assert len(found) == len(feed.entries) - sum(n - 1 for n in guids.values())
    # Episodes with a page of their own are that page; the rest are their audio file.
    assert sum(a.url.endswith(".php") for a in found) == 7
    assert sum(a.url.endswith(".mp3") for a in found) == len(found) - 7


def test_enclosure_behind_a_redirect_keeps_its_address():
    from pipeline.ingest.urls import canonical_url
    a = canonical_url("http://www.podtrac.com/pts/redirect.mp3?http://x.com/shows/1.mp3")
    b = canonical_url("http://www.podtrac.com/pts/redirect.mp3?http://x.com/shows/2.mp3")
    assert a != b


def test_entries_with_no_link_and_no_guid_are_told_apart_by_content(shared):
    feed = parse_feed((shared / "feeds/feed-rs__feed-rs/rss_0.92_spec_1.xml").read_bytes(),
                      "http://127.0.0.1:1/winer.xml")
    found = articles("winer", feed)
    assert len(found) == 3
    assert sum(a.url is None for a in found) == 2  # the third has an enclosure


def test_identity_does_not_depend_on_the_other_entries(shared):
    feed = parse_feed((shared / "feeds/rbren__rss-parser/guardian.rss").read_bytes(),
                      "http://127.0.0.1:1/guardian.rss")
    everything = {a.guid: a.article_id for a in articles("guardian", feed)}
    fewer = feed.__class__(**{**feed.__dict__, "entries": feed.entries[5:]})
    assert {a.guid: a.article_id for a in articles("guardian", fewer)}.items() <= everything.items()


def test_doctype_with_entities_is_dropped_before_parsing():
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"x" * 1000 + b'">\n'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
            b'<!ENTITY ext SYSTEM "file:///etc/passwd">\n]>\n'
            b'<rss version="2.0"><channel><title>t</title><item><title>&b; &ext;</title>'
            b'<link>https://example.org/a</link></item></channel></rss>')
    feed = parse_feed(bomb, "http://127.0.0.1:1/bomb.xml")
    assert len(feed.entries) == 1
    assert "root:" not in feed.entries[0].title
    assert len(feed.entries[0].title) < 100


@pytest.mark.parametrize("field", ["title", "summary"])
def test_markup_in_titles_and_summaries_becomes_text(field):
    body = (b'<rss version="2.0"><channel><title>t</title><item>'
            b'<title>&lt;b&gt;Puno&lt;/b&gt; &amp; Juliaca</title>'
            b'<description>&lt;p&gt;Paro &lt;img src="x"&gt;en Puno&lt;/p&gt;</description>'
            b'<link>https://example.org/a</link></item></channel></rss>')
    entry = parse_feed(body, "http://127.0.0.1:1/f.xml").entries[0]
    assert "<" not in getattr(entry, field)


def feed_with_titles(*titles: str) -> bytes:
    items = "".join(f"<item><title>{t}</title><link>https://e.org/{i}</link></item>"
                    for i, t in enumerate(titles))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            '</channel></rss>').encode()


def test_references_to_no_character_are_repaired_item_by_item():
    feed = parse_feed(feed_with_titles("Bloqueo &#xD800; en Puno", "Emoji &#xD83D;&#xDE00; ok",
                                       "dec &#55357;&#56832; ok", "nul &#0; y &#xFFFE;", "bueno"),
                      "https://e.org/feed")
    assert [e.title for e in feed.entries] == ["Bloqueo \ufffd en Puno", "Emoji 😀 ok", "dec 😀 ok",
                                                "nul y", "bueno"]


def test_control_characters_never_reach_a_title():
    feed = parse_feed(feed_with_titles("\x1b]8;;https://evil.example\x1b\\clic\x1b]8;;\x1b\\ "
                                       "\x1b[31mrojo\x1b[0m\x00", "bueno"), "https://e.org/feed")
    assert [e.title for e in feed.entries] == ["]8;;https://evil.example\\clic]8;;\\ [31mrojo[0m",
                                                "bueno"]


def test_titles_are_read_as_their_type_says():
    rss = feed_with_titles("&lt;b&gt;Paro&lt;/b&gt; en Puno", "Tom &amp; Jerry",
                           "<![CDATA[<i>Bloqueo</i> &amp; marcha]]>", "&amp;lt;script&amp;gt; x")
    # RSS titles are HTML (feedparser says so): tags go, entities are read once
    assert [e.title for e in parse_feed(rss, "https://e.org/f").entries] == [
        "Paro en Puno", "Tom & Jerry", "Bloqueo & marcha", "<script> x"]
    atom = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            b'<entry><id>1</id><title type="text">a &amp;lt;b&amp;gt; c</title></entry>'
            b'<entry><id>2</id><title type="html">a &amp;lt;b&amp;gt; c</title></entry></feed>')
    # plain text stands as written; HTML is read as HTML
    assert [e.title for e in parse_feed(atom, "https://e.org/f").entries] == ["a &lt;b&gt; c", "a <b> c"]
