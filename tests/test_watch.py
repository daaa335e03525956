"""Polling at each feed's pace, and `newsmon watch`: the intervals the schedule gives,
the planner that follows them, and the continuous mode stopped by a signal with nothing
lost or recorded twice."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from conftest import DEMO_SITE, fixed_clock

from pipeline.core import events as ev
from pipeline.core.config import Feed
from pipeline.ingest.poll import plan_polls
from pipeline.ingest.schedule import FIRST, SCHEDULED, Rate, Schedule, intervals

CLOCK = fixed_clock()
WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)


def per_hour(chosen: dict[str, timedelta]) -> float:
    return sum(HOUR / wait for wait in chosen.values())


def test_busy_feeds_are_polled_often_quiet_ones_rarely_within_the_hourly_budget():
    rates = {f"busy{i}": Rate(300, 7 * 24 * 6, WEEK) for i in range(10)}        # 6 an hour
    rates |= {f"daily{i}": Rate(100, 14, WEEK) for i in range(400)}             # 2 a day
    rates |= {f"weekly{i}": Rate(50, 1, WEEK) for i in range(80)}               # 1 a week
    rates |= {f"silent{i}": Rate(50, 0, WEEK) for i in range(5)}
    rates |= {f"new{i}": None for i in range(5)}
    chosen = intervals(rates, Schedule())
    assert per_hour(chosen) <= len(rates) + 1e-6  # no more polls than hourly runs make
    assert chosen["busy0"] < timedelta(minutes=10) < chosen["daily0"] < chosen["weekly0"] < chosen["silent0"]
    assert chosen["new0"] == FIRST
    # a week without an article is not forever: looked at within hours, not every 12
    assert chosen["silent0"] < Schedule().longest / 2
    # between the bounds whatever the budget
    tight = intervals(rates, Schedule(budget=10))
    assert all(Schedule().shortest <= w <= Schedule().longest for w in tight.values())
    assert tight["busy0"] > chosen["busy0"]


def test_scrolled_off_entries_and_server_hints_move_the_next_poll():
    base = Rate(100, 7 * 24, WEEK, last_entries=20, last_new=3)
    scrolled = Rate(100, 7 * 24, WEEK, last_entries=20, last_new=20)
    hinted = Rate(100, 7 * 24, WEEK, hint=timedelta(minutes=45))
    greedy = Rate(100, 7 * 24, WEEK, hint=timedelta(days=2))
    chosen = intervals({"base": base, "scrolled": scrolled, "hinted": hinted, "greedy": greedy},
                       Schedule(budget=20))
    assert chosen["scrolled"] == chosen["base"] / 2
    assert chosen["hinted"] == timedelta(minutes=45)  # max-age or ttl: not sooner
    assert chosen["greedy"] == HOUR                  # honoured up to an hour


def test_the_planner_polls_each_feed_when_its_pace_says(store):
    start = CLOCK()
    feeds = [Feed(id="busy", url="https://busy.org/rss"), Feed(id="quiet", url="https://quiet.org/rss")]
    events, n = [], 0
    for k in range(12):  # half a day of polls every hour: busy finds 5 new each time
        at = start - timedelta(hours=12 - k)
        for feed, found in (("busy", 5), ("quiet", 1 if k == 0 else 0)):
            poll = ev.feed_polled(feed, k + 1, at, url=f"https://{feed}.org/rss", status=200,
                                  not_modified=False, entries=20)
            events.append(poll)
            for _ in range(found):
                n += 1
                events.append(ev.article_discovered(f"a{n}", feed, at, poll=poll.event_id,
                                                    url=f"https://e.org/{n}", title="t"))
    store.append(events, "history")
    last = start - timedelta(hours=1)
    # two polls an hour to share (hourly runs of two feeds): busy's 5 an hour take most
    plans, waiting = plan_polls(store, feeds, last + timedelta(minutes=40), Schedule())
    assert [p.feed_id for p in plans] == ["busy"]  # due again within the hour
    assert [(w.feed_id, w.kind) for w in waiting] == [("quiet", SCHEDULED)]
    assert waiting[0].until > last + 2 * HOUR
    # without a schedule, every feed at every run, as before
    assert len(plan_polls(store, feeds, last + timedelta(minutes=40))[0]) == 2
    assert plan_polls(store, feeds, last + timedelta(minutes=20), Schedule())[0] == []


@pytest.mark.slow  # two demo cycles: about 15 s
def test_watch_runs_cycles_and_a_signal_stops_it_after_the_cycle_with_nothing_lost(serve, tmp_path):
    site = serve(DEMO_SITE)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text((DEMO_SITE.parent / "feeds.yaml").read_text().replace("{{origin}}", site.origin))
    db = tmp_path / "watch.duckdb"
    env = {**os.environ, "NEWSMON_ALLOW_HOSTS": site.host_port, "NEWSMON_OFFLINE": "1",
           "NEWSMON_WORKERS": "1"}
    env.pop("NEWSMON_SMTP_URL", None)
    watching = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "watch", "--every", "1", "--db", str(db), "--feeds", str(feeds),
         "--alerts", str(DEMO_SITE.parent / "alerts.yaml"), "--no-progress"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while len([line for line in lines if "feeds polled" in line]) < 2:
        line = watching.stdout.readline()
        assert line, watching.stderr.read()[-2000:]
        lines.append(line)
    # the second cycle is under way or waiting: a signal ends the loop after it
    watching.send_signal(signal.SIGTERM)
    out, err = watching.communicate(timeout=120)
    assert watching.returncode == 0, err[-2000:]
    cycles = [line for line in lines if "feeds polled" in line]
    assert " 10 feeds polled" in cycles[0] and " 0 feeds polled" in cycles[1]  # not due again yet
    assert "SIGTERM: finishing what is under way" in out and "stopped after" in out
    from pipeline.store import FileStore
    store = FileStore(db)
    total, distinct = store.sql("SELECT count(*), count(DISTINCT event_id) FROM events")[1][0]
    assert total == distinct
    extracted = store.sql("SELECT count(*), count(DISTINCT article_id) FROM events "
                          "WHERE type = 'ArticleExtracted'")[1][0]
    assert extracted[0] == extracted[1] > 30


def test_a_feed_its_hub_pushes_is_polled_seldom_until_the_lease_lapses(store):
    now = CLOCK()
    feed = Feed(id="pushed", url="https://p.org/rss")
    store.append([ev.feed_polled("pushed", 1, now - timedelta(hours=2), url=feed.url, status=200,
                                 not_modified=False, entries=0),
                  ev.feed_subscribed("pushed", now - timedelta(hours=2), "https://hub.example/",
                                     feed.url, now + timedelta(hours=20))], "pushed")
    plans, waiting = plan_polls(store, [feed], now, Schedule())
    assert plans == [] and "WebSub" in waiting[0].reason
    assert waiting[0].until == now - timedelta(hours=2) + Schedule().longest
    # the lease has lapsed: polled at its pace again (a feed still learning: hourly)
    later = now + timedelta(hours=21)
    assert [p.feed_id for p in plan_polls(store, [feed], later, Schedule())[0]] == ["pushed"]
