"""Matched articles checked again: a page served on loopback, matched and alerted, then
served the same, edited, and taken down; the log says when each change was seen, the
archive holds each version once, and the recipient who asked hears of each change once."""

import email
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email.policy import default
from pathlib import Path

from conftest import CHECKOUT, DEMO_SITE
from servers import RouteServer, send

from pipeline.core import events as ev
from pipeline.core.config import AlertsFile, FeedsFile
from pipeline.core.settings import Settings
from pipeline.demo.mailcatcher import MailCatcher
from pipeline.ingest.revisions import TRIES, changes, plan_rechecks, redirected_away
from pipeline.runs.context import Context, Report
from pipeline.runs.cycle import run_cycle
from pipeline.topics.definitions import load_topics

PAGE = DEMO_SITE / "sur-andino" / "2023" / "02" / "27" / "bloqueo-ilave-desaguadero.html"
WARCIO = str(Path(sys.executable).parent / "warcio")
DAY0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


class Outlet:
    """A feed of one article, whose page can be edited or taken down; it answers a
    conditional request for the page it serves with a 304."""

    def __init__(self):
        self.page, self.status = PAGE.read_bytes(), 200
        self.asked: list[str | None] = []   # the If-None-Match of each request for the page
        self.server = RouteServer({"/rss.xml": self._feed, "/nota.html": self._article})

    def _feed(self, handler) -> None:
        item = (f"<item><title>Vuelven los bloqueos en la vía Ilave–Desaguadero</title>"
                f"<link>{self.server.origin}/nota.html</link>"
                f"<pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item>")
        send(handler, 200, f"<rss version='2.0'><channel><title>Sur</title>{item}</channel></rss>"
             .encode(), {"Content-Type": "application/rss+xml"})

    def _article(self, handler) -> None:
        etag = '"' + hashlib.sha256(self.page).hexdigest()[:16] + '"'
        self.asked.append(handler.headers.get("If-None-Match"))
        if self.status != 200:
            return send(handler, self.status, b"gone")
        if handler.headers.get("If-None-Match") == etag:
            return send(handler, 304, b"", {"ETag": etag})
        send(handler, 200, self.page, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})

    def edit(self) -> None:
        self.page = (self.page.replace("Tras dos días de tregua, vuelven".encode(), b"Vuelven")
                     .replace("seis puntos bloqueados".encode(), "ocho puntos bloqueados".encode()))


def test_an_article_edited_then_taken_down_is_told_once_each_time(store, tmp_path):
    outlet = Outlet()
    clock = [DAY0]
    alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
        {"email": "desk@example.org", "topics": ["puno-protests"], "changes": True},
        {"email": "other@example.org", "topics": ["puno-protests"]}]})
    with MailCatcher(tmp_path / "mail") as mail:
        settings = Settings(db=store.path, allow_hosts=frozenset({outlet.server.host_port}),
                            offline=True, workers=1, smtp_url=mail.url, recheck="1d,2d,3d")
        feeds = FeedsFile(feeds=[{"id": "sur", "url": f"{outlet.server.origin}/rss.xml"}])
        ctx = Context(settings, store, feeds, load_topics(), alerts, "run", lambda: clock[0])

        def day(n: float) -> Report:
            clock[0] = DAY0 + timedelta(days=n)
            return run_cycle(ctx)

        first = day(0)
        assert first.matches["puno-protests"] == 1 and first.appended[ev.ALERT_SENT] == 2
        early = day(0.5)  # not due yet
        assert not any(early.appended[t] for t in (ev.ARTICLE_FETCHED, ev.ARTICLE_RECHECKED))
        same = day(1.1)   # the same page: asked conditionally, not read again
        assert same.appended[ev.ARTICLE_RECHECKED] == 1 and outlet.asked[-1] is not None
        outlet.edit()
        edited = day(2.1)
        assert edited.appended[ev.ARTICLE_REVISED] == 1 and edited.appended[ev.ALERT_SENT] == 1
        outlet.status = 410
        gone = day(3.1)
        assert gone.appended[ev.ARTICLE_REMOVED] == 1 and gone.appended[ev.ALERT_SENT] == 1
        asked = len(outlet.asked)
        after = day(10)   # nothing left to check; nothing more to tell
        assert after.appended[ev.ALERT_SENT] == 0 and len(outlet.asked) == asked
    messages = [email.message_from_bytes(m, policy=default) for m in mail.received]
    told = [m for m in messages if m["To"] == "desk@example.org"]
    assert [m["To"] for m in messages].count("other@example.org") == 1  # did not ask for changes
    assert [m["Subject"] for m in told] == [
        "1 new: puno-protests 1", "1 alerted before changed or taken down",
        "1 alerted before changed or taken down"]
    revised_text = told[1].get_body(("plain",)).get_content()
    assert "Sur Andino · 2026-11-02\n  Revised, seen 2026-11-04 14:24 UTC: title now \u201cVuelven los " \
           "bloqueos en la vía Ilave–Desaguadero\u201d;" in revised_text.replace("\r\n", "\n")
    assert "Taken down, seen 2026-11-05 14:24 UTC: HTTP 410" in told[2].get_body(("plain",)).get_content()
    # the log and the view say when each change was seen
    rows = store.sql("SELECT change, seen_at, reason, status, new_title, diff FROM revisions "
                     "ORDER BY seen_at")[1]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("revised", DAY0 + timedelta(days=2.1), None, 200),
        ("removed", DAY0 + timedelta(days=3.1), "gone", 410)]
    diff = json.loads(rows[0][5])
    assert diff["title"] == ["Tras dos días de tregua, vuelven los bloqueos en la vía Ilave–Desaguadero",
                             "Vuelven los bloqueos en la vía Ilave–Desaguadero"]
    # the heading the text starts with, and the paragraph edited; nothing else
    assert [("seis puntos" in p, "ocho puntos" in a) for p, a in zip(diff["removed"], diff["added"])] == [
        (False, False), (True, True)] and diff["lines_removed"] == diff["lines_added"] == 2
    # the archive holds the page as first read and as revised, once each
    files = sorted(store.path.with_name(store.path.name + ".warc").glob("*.warc.gz"))
    index = [json.loads(line) for f in files for line in subprocess.run(
        [WARCIO, "index", str(f)], capture_output=True, text=True, check=True).stdout.splitlines()]
    assert len(index) == 2
    for f in files:
        assert subprocess.run([WARCIO, "check", str(f)], capture_output=True).returncode == 0
    # newsmon show lists the checks among the article's events
    article = store.sql("SELECT article_id FROM revisions LIMIT 1")[1][0][0]
    shown = subprocess.run([sys.executable, "-m", "pipeline", "show", article, "--db", str(store.path)],
                           capture_output=True, text=True, cwd=CHECKOUT)
    assert shown.returncode == 0 and "ArticleRevised" in shown.stdout and "ArticleRemoved" in shown.stdout
    assert "Archived as revised (check 2)" in shown.stdout


def test_a_check_that_fails_is_tried_again_then_the_next_stage_waits(store):
    at = DAY0
    store.append([ev.article_discovered("a1", "sur", at, url="https://e.org/1", title="t"),
                  ev.article_fetched("a1", 1, at, url="https://e.org/1", final_url="https://e.org/1",
                                     status=200, etag='"v1"'),
                  ev.article_extracted("a1", 1, at, title="t", text="uno\ndos", language="es"),
                  ev.topic_matched("a1", "puno-protests", "v1", at, score=1.0, snippet="s", terms=[])],
                 "seed")
    settings = Settings(db=store.path, recheck="1d,7d")
    assert plan_rechecks(store, settings, at + timedelta(hours=23)) == []
    for n in range(1, TRIES + 1):
        plan, = plan_rechecks(store, settings, at + timedelta(days=1, hours=n))
        assert (plan.check_no, plan.tries, plan.etag, plan.text) == (n, n - 1, '"v1"', "uno\ndos")
        store.append([ev.article_rechecked("a1", n, at + timedelta(days=1, hours=n), outcome="failed",
                                           final=n == TRIES, error_class="connect", detail="down")], "r")
    # three failures end the first stage: the next waits for the seventh day
    assert plan_rechecks(store, settings, at + timedelta(days=2)) == []
    plan, = plan_rechecks(store, settings, at + timedelta(days=7))
    assert (plan.check_no, plan.tries) == (TRIES + 1, 0)
    store.append([ev.article_revised("a1", TRIES + 1, at + timedelta(days=7), status=200, url="https://e.org/1",
                                     final_url="https://e.org/1", etag='"v2"', title="t2", text="uno\ntres",
                                     title_before="t", diff={})], "r")
    assert plan_rechecks(store, settings, at + timedelta(days=30)) == []  # both stages done
    assert plan_rechecks(store, Settings(db=store.path, recheck="off"), at + timedelta(days=1)) == []


def test_what_counts_as_taken_down_and_as_changed():
    article = "https://diario.pe/regiones/2026/11/02/bloqueo-en-ilave"
    assert not redirected_away(article, article)
    assert not redirected_away(article, "https://www.diario.pe/regiones/2026/11/02/bloqueo-en-ilave-y-juli")
    assert redirected_away(article, "https://diario.pe/")
    assert redirected_away(article, "https://diario.pe/regiones")
    assert redirected_away(article, "https://otro.pe/regiones/2026/11/02/bloqueo-en-ilave")
    assert changes("T", "uno\n\ndos", " T ", "uno\ndos  ") is None  # spacing is no change
    diff = changes("T", "uno\ndos\ntres", "T", "uno\nDOS\ntres\ncuatro")
    assert diff == {"title": None, "removed": ["dos"], "added": ["DOS", "cuatro"],
                    "lines_removed": 1, "lines_added": 2}
    assert changes("T", "uno", "T2", "uno")["title"] == ["T", "T2"]


def test_status_lists_the_revisions_and_removals_of_the_last_week(store):
    now = datetime.now(timezone.utc)
    store.append([ev.article_discovered("a1", "sur", now, url="https://e.org/1", title="Paro en Juliaca"),
                  ev.article_revised("a1", 1, now - timedelta(days=1), status=200, url="https://e.org/1",
                                     title="Paro en Juliaca, día 2", diff={}),
                  ev.article_removed("a1", 2, now - timedelta(days=9), status=410, reason="gone")], "r")
    shown = subprocess.run([sys.executable, "-m", "pipeline", "status", "--db", str(store.path)],
                           capture_output=True, text=True, cwd=CHECKOUT)
    assert shown.returncode == 0, shown.stderr
    part = shown.stdout.split("Matched articles revised or taken down")[1].split("Recipients")[0]
    assert "revised" in part and "Paro en Juliaca" in part and "removed" not in part  # a week ago only
