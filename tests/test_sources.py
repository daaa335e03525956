"""Where each source is from: the feeds file's country, language and kind of each outlet,
recorded as FeedConfigured when it changes, and the views that count by them and tell a
country gone quiet from a quiet country."""

from datetime import datetime, timedelta, timezone

import pytest
from conftest import DEMO_SITE, fixed_clock, settings_for
from pydantic import ValidationError

from pipeline.core import events as ev
from pipeline.core.config import Feed
from pipeline.ingest.poll import plan_polls, poll_feeds

CLOCK = fixed_clock()


def poll(store, site, feeds):
    plans, _ = plan_polls(store, feeds, CLOCK())
    events = poll_feeds(plans, settings_for(site, store.path), CLOCK)
    store.append(events, "poll")
    return [e for e in events if e.type == ev.FEED_CONFIGURED]


def test_what_the_feeds_file_says_is_recorded_when_it_changes(serve, store):
    site = serve(DEMO_SITE)
    url = f"{site.origin}/sur-andino/rss.xml"
    first = Feed(id="sur", url=url, name="Sur Andino", language="es", country="PE", kind="regional")
    recorded = poll(store, site, [first])
    assert [e.payload["country"] for e in recorded] == ["PE"]
    assert poll(store, site, [first]) == []  # unchanged: nothing new
    moved = first.model_copy(update={"country": "BO"})
    assert [e.payload["after"] for e in poll(store, site, [moved])] == [recorded[0].event_id]
    back = poll(store, site, [first])  # back to what it was: a fact of its own
    assert len(back) == 1 and back[0].event_id != recorded[0].event_id
    assert store.sql("SELECT feed_id, name, country, language, kind, state FROM sources")[1] == [
        ("sur", "Sur Andino", "PE", "es", "regional", "ok")]
    assert store.sql("SELECT country, kind, sum(articles) FROM source_daily GROUP BY ALL")[1] == [
        ("PE", "regional", 6)]


@pytest.mark.parametrize("field, value", [("country", "Peru"), ("country", "pe"), ("kind", "blog"),
                                          ("language", "Spanish")])
def test_metadata_outside_the_codes_is_refused(field, value):
    with pytest.raises(ValidationError):
        Feed(id="x", url="https://e.org/rss", **{field: value})


def test_a_country_whose_sources_all_went_quiet_is_flagged(store):
    now = datetime.now(timezone.utc)  # the views count the last 7 days from now
    events = []
    for feed, country in [("pe1", "PE"), ("pe2", "PE"), ("bo1", "BO"), ("bo2", "BO"), ("cl1", "CL")]:
        events.append(ev.feed_configured(feed, now - timedelta(days=40), None, name=feed,
                                         country=country, language="es", kind="national"))
        events.append(ev.feed_polled(feed, 1, now - timedelta(hours=1), url=f"https://{feed}.org/rss",
                                     status=200, not_modified=False, entries=0))
    n = 0
    for feed, days_ago in [("pe1", 2), ("pe1", 20), ("pe2", 25), ("bo1", 12), ("bo1", 15),
                           ("bo2", 30), ("bo1", 18), ("bo2", 22)] * 3:
        n += 1
        events.append(ev.article_discovered(f"a{n}", feed, now - timedelta(days=days_ago, minutes=n),
                                            url=f"https://e.org/{n}", title="t"))
    store.append(events, "seed")
    health = {r[0]: r[1:] for r in store.sql(
        "SELECT country, feeds, failing, articles_7d, quiet FROM country_health")[1]}
    # Bolivia usually brings articles and brought none this week; Peru did; Chile has a
    # feed that never brought anything: nothing to compare with, not called quiet
    assert health == {"PE": (2, 0, 3, False), "BO": (2, 0, 0, True), "CL": (1, 0, 0, False)}
    # the report counts by country and kind and names the quiet one; status lists it
    import subprocess
    import sys

    from pipeline.topics.definitions import load_topics
    from pipeline.ui import report
    written = report.write(store, load_topics(), store.path.with_name("report.html"), now)
    page = written.page.read_text()
    assert "Gone quiet: no article this week from the outlets of BO," in page
    row = '<td class="bad">BO</td><td>national</td><td class="n">2</td><td class="n">12</td>'
    assert page.count(row) == 1
    status = subprocess.run([sys.executable, "-m", "pipeline", "status", "--db", str(store.path)],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    quiet = status.stdout.split("Countries gone quiet")[1].split("Recipients")[0]
    assert "BO" in quiet and "PE" not in quiet and "CL" not in quiet
