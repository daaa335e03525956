import email
import json
from datetime import datetime, timedelta, timezone
from email.policy import default

import pytest
from conftest import fixed_clock

from pipeline.alerts.message import Letterhead, compose, entries, subject
from pipeline.alerts.policy import decide, digest_time
from pipeline.core import events as ev
from pipeline.core.config import AlertsFile, FeedsFile, Recipient
from pipeline.core.settings import Settings
from pipeline.demo.mailcatcher import MailCatcher, free_port
from pipeline.runs.context import Context, Report
from pipeline.runs.cycle import alert_stage
from pipeline.topics.definitions import load_topics

AT = fixed_clock()()


def match_row(i: int, topic: str, title: str = "Paro en Puno", snippet: str = "Paro en Puno.",
              **more) -> dict:
    return {"match_event_id": f"m{i}", "article_id": f"a{i}", "topic": topic, "title": title,
            "url": f"https://example.org/{i}", "site": "Sur Andino", "feed_id": "sur",
            "published": AT, "date_source": "guess", "snippet": snippet, "score": 2.0,
            "language": "es", "story_id": f"a{i}", "story_outlets": ["Sur Andino"],
            "rule": "@puno-places NEAR/s @protest", "tagged_at": AT, "found_by_retag": False,
            "terms": '[{"term": "puno", "field": "text", "start": 8, "end": 12, "found": "Puno"}]',
            **more}


def recipient(**settings) -> Recipient:
    return Recipient(email="a@example.org", topics=["puno-protests", "iran-ties"], **settings)


def test_subject_says_what_is_inside_and_copies_count_once():
    rows = [match_row(1, "puno-protests"), match_row(2, "iran-ties"), match_row(3, "puno-protests"),
            match_row(4, "puno-protests", story_id="a3", site="Otro Diario",
                      story_outlets=["Otro Diario", "Sur Andino"])]
    listed = entries(rows)
    assert subject(listed) == "3 new: puno-protests 2, iran-ties 1"
    copy = next(e for e in listed if e.title == "Paro en Puno" and e.also_in)
    assert copy.also_in == ("Otro Diario",)


def test_hostile_titles_cannot_add_headers_and_html_is_escaped():
    rows = [match_row(1, "puno-protests", title="Paro\r\nBcc: victim@example.org\r\n",
                      snippet='<script>alert(1)</script><img src="https://tracker.example/p.gif"> Puno')]
    message = compose("x1", "a@example.org", "newsmon@example.org", rows, AT)
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None and b"\r\nBcc:" not in raw
    html = parsed.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img src=\"https" not in html
    assert "&lt;script&gt;" in html and "<mark>Puno</mark>" in html


def test_the_message_explains_each_match_and_carries_its_charts():
    rows = [match_row(1, "puno-protests")]
    message = compose("x1", "a@example.org", "n@example.org", rows, AT,
                      {"puno-protests": b"\x89PNG\r\n\x1a\nfake"})
    assert message["Message-ID"] == "<x1@newsmon>"
    text = message.get_body(("plain",)).get_content()
    assert "Rule: @puno-places NEAR/s @protest\n" in text and "matched: Puno\n" in text
    assert "2026-11-28 (guessed)" in text
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    html = message.get_body(("html",)).get_content()
    assert f"cid:{images[0]['Content-ID'].strip('<>')}" in html


def test_the_message_is_a_briefing():
    later = AT + timedelta(hours=3)
    rows = [match_row(1, "puno-protests", title="Paro en puno", published=AT - timedelta(days=2)),
            match_row(2, "puno-protests", title="Bloqueo en Juliaca",
                      story_outlets=["Sur Andino", "Los Andes"], snippet="En Juliaca, el bloqueo sigue.",
                      terms=json.dumps([{"term": "juliaca", "field": "text", "found": "Juliaca"},
                                        {"term": "bloqueo", "field": "title", "found": "Bloqueo"}])),
            match_row(3, "puno-protests", title="Marcha en Puno", published=AT),
            match_row(4, "iran-ties", title="Raisi en Caracas", rule="Iran AND @latam",
                      tagged_at=AT - timedelta(hours=1))]
    head = Letterhead(names={"puno-protests": "Protests in Puno", "iran-ties": "Iran in the region"},
                      report_url="https://intranet.example/newsmon/report.html",
                      schedule="in a daily digest at 07:00 (America/Lima)",
                      topics=("puno-protests", "iran-ties"), alerts_file="config/alerts.yaml")
    message = compose("x1", "a@example.org", "n@example.org", rows, later, head=head)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # the period, then the counts per topic by name
    assert text.startswith("newsmon briefing: 4 new stories, 2026-11-28 11:00 to 2026-11-28 15:00 UTC\n"
                           "  Protests in Puno (puno-protests): 3\n  Iran in the region (iran-ties): 1\n")
    # the rule once per topic; stories carried by more outlets first, then the newest
    assert text.count("Rule: @puno-places NEAR/s @protest") == 1 and text.count("Rule: Iran AND @latam") == 1
    titles = [line[2:] for line in text.splitlines() if line.startswith("* ")]
    assert titles == ["Bloqueo en Juliaca", "Marcha en Puno", "Paro en puno", "Raisi en Caracas"]
    # every matched word marked, in the title too and whatever its case
    assert "<mark>Bloqueo</mark> en <mark>Juliaca</mark>" in html and "Paro en <mark>puno</mark>" in html
    assert "En <mark>Juliaca</mark>, el <mark>bloqueo</mark> sigue." in html
    # the report, and how to change or stop it
    assert "https://intranet.example/newsmon/report.html" in text and \
        "href=\"https://intranet.example/newsmon/report.html\"" in html
    assert "You get this at a@example.org in a daily digest at 07:00 (America/Lima), for " \
           "puno-protests, iran-ties.\nTo change or stop it, edit your entry in config/alerts.yaml" in text


@pytest.mark.parametrize("settings, retag, wanted_", [
    ({}, False, True),
    ({"languages": ["en"]}, False, False),
    ({"languages": ["es", "en"]}, False, True),
    ({"sources": ["other-feed"]}, False, False),
    ({"sources": ["sur"]}, False, True),
    ({"min_score": 5}, False, False),
    ({"min_score": 2}, False, True),
    ({}, True, False),                  # immediate: never what a re-tag found in old articles
    ({"mode": "digest"}, True, True),   # digests: under their own heading
])
def test_recipient_filters(store, settings, retag, wanted_):
    from pipeline.alerts.outbox import pending_for, waiting_for
    store.append([ev.article_discovered("a1", "sur", AT, url="https://e.org/1", title="t"),
                  ev.article_extracted("a1", 1, AT, text="Paro en Puno", language="es"),
                  ev.topic_matched("a1", "puno-protests", "v1", AT, score=2.0, snippet="s",
                                   terms=[], retag=retag)], "seed")
    assert waiting_for(store, recipient(**settings)) == int(wanted_)
    # what `status` counts is what an alert would carry
    assert len(pending_for(store, recipient(**settings))) == int(wanted_)


def test_a_match_stops_waiting_for_whom_an_alert_carried_it_and_only_in_its_topic(store):
    from pipeline.alerts.outbox import pending_for, waiting_for
    found = []
    for article, topics in (("a1", ["puno-protests", "iran-ties"]), ("a2", ["puno-protests"])):
        found += [ev.article_discovered(article, "sur", AT, url=f"https://e.org/{article}", title="t"),
                  ev.article_extracted(article, 1, AT, text="Paro en Puno", language="es")]
        found += [ev.topic_matched(article, t, "v1", AT, score=2.0, snippet="s", terms=[]) for t in topics]
    item = {"match_event_id": "m", "change_event_id": None}
    store.append(found + [
        ev.alert_decided("x1", "a@example.org", AT, mode="immediate", topics=["puno-protests"],
                         items=[{"article_id": "a1", "topic": "puno-protests", **item}]),
        ev.alert_decided("x2", "b@example.org", AT, mode="immediate", topics=["puno-protests"],
                         items=[{"article_id": "a2", "topic": "puno-protests", **item}])], "seed")
    a, b = recipient(), Recipient(email="b@example.org", topics=["puno-protests", "iran-ties"])
    for who, left in ((a, [("a1", "iran-ties"), ("a2", "puno-protests")]),
                      (b, [("a1", "iran-ties"), ("a1", "puno-protests")])):
        assert sorted((m["article_id"], m["topic"]) for m in pending_for(store, who)) == left
        assert waiting_for(store, who) == len(left)


def test_a_digest_goes_out_at_its_hour_with_what_came_before_it():
    lima = recipient(mode="digest", digest_at="07:00", timezone="America/Lima")
    seven = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)  # 07:00 in Lima
    early, late = match_row(1, "puno-protests"), match_row(2, "puno-protests")
    early["tagged_at"], late["tagged_at"] = seven - timedelta(hours=3), seven + timedelta(hours=1)
    # just before seven, only yesterday's digest could be due, and `early` came after it
    assert decide(lima, [early], seven - timedelta(minutes=1), None) is None
    alert = decide(lima, [early, late], seven + timedelta(hours=2), seven - timedelta(hours=20))
    assert [i.article_id for i in alert.items] == ["a1"]  # the later one waits for tomorrow
    assert decide(lima, [early, late], seven + timedelta(hours=2), seven + timedelta(minutes=5)) is None
    assert digest_time(lima, seven + timedelta(hours=2)) == seven


def test_same_items_same_alert():
    rows = [match_row(1, "iran-ties"), match_row(2, "iran-ties")]
    one, other = decide(recipient(), rows, AT), decide(recipient(), list(reversed(rows)), AT)
    assert one.alert_id == other.alert_id
    other = recipient().model_copy(update={"email": "b@example.org"})
    assert decide(other, rows, AT).alert_id != one.alert_id


def seeded_context(store, smtp_url: str | None) -> Context:
    events = []
    for i, topic in enumerate(["puno-protests", "iran-ties", "puno-protests"]):
        events.append(ev.article_discovered(f"a{i}", "sur", AT, url=f"https://e.org/{i}", title=f"t{i}"))
        events.append(ev.topic_matched(f"a{i}", topic, "v1", AT, score=1.0, snippet="s", terms=[]))
    store.append(events, "seed")
    alerts = AlertsFile.model_validate({"from": "newsmon@example.org", "recipients": [
        {"email": "puno@example.org", "topics": ["puno-protests"]},
        {"email": "all@example.org", "topics": ["puno-protests", "iran-ties"]}]})
    return Context(Settings(db=store.path, smtp_url=smtp_url), store,
                   FeedsFile(feeds=[{"id": "sur", "url": "http://x/f"}]), load_topics(), alerts,
                   "run", fixed_clock())


def test_alerts_go_out_once(store, tmp_path):
    with MailCatcher(tmp_path / "mail") as mail:
        ctx = seeded_context(store, mail.url)
        alert_stage(ctx, report := Report())
        assert report.appended[ev.ALERT_SENT] == 2
        assert len(mail.received) == 2
        alert_stage(ctx, again := Report())
        assert again.appended[ev.ALERT_SENT] == 0 and len(mail.received) == 2
    subjects = sorted(email.message_from_bytes(m, policy=default)["Subject"] for m in mail.received)
    assert subjects == ["2 new: puno-protests 2", "3 new: puno-protests 2, iran-ties 1"]


def test_a_server_that_is_down_leaves_the_alert_pending(store, tmp_path):
    port = free_port()
    ctx = seeded_context(store, f"smtp://127.0.0.1:{port}?tls=none")
    alert_stage(ctx, down := Report())
    assert down.appended[ev.ALERT_FAILED] == 2 and down.alerts_pending == 2  # both stay in the outbox
    assert {k[1] for k in down.errors} == {"connect"}
    with MailCatcher(tmp_path / "mail") as mail:
        ctx.settings = ctx.settings.with_(smtp_url=mail.url)
        alert_stage(ctx, up := Report())
    assert up.appended[ev.ALERT_SENT] == 2 and len(mail.received) == 2


def test_without_smtp_matches_wait(store):
    ctx = seeded_context(store, None)
    alert_stage(ctx, report := Report())
    assert report.appended == {} and report.alerts_pending == 5
    assert "NEWSMON_SMTP_URL" in report.notes[0]


class Flaky:
    """An SMTP server that answers DATA as told: `plan` is a list of replies, one per
    message; "drop" receives the message and hangs up without answering."""

    def __init__(self, plan: list[str]):
        self.plan, self.received = list(plan), []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope.content)
        reply = self.plan.pop(0) if self.plan else "250 OK"
        if reply == "drop":
            server.transport.close()
            return "250 OK"  # never reaches the client
        return reply


def flaky_server(plan: list[str]):
    from aiosmtpd.controller import Controller
    handler = Flaky(plan)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return handler, controller, f"smtp://127.0.0.1:{controller.port}?tls=none"


@pytest.mark.parametrize("reply, retried", [("451 4.3.0 try later", True),
                                            ("554 5.7.1 rejected", False)])
def test_temporary_and_permanent_refusals(store, reply, retried):
    handler, controller, url = flaky_server([reply, reply])
    try:
        ctx = seeded_context(store, url)
        alert_stage(ctx, first := Report())
        assert first.appended[ev.ALERT_FAILED] == 2
        alert_stage(ctx, second := Report())
        # a 4xx is tried again on the next run; a 5xx is recorded and not repeated
        assert (second.appended[ev.ALERT_SENT] == 2) is retried
        assert len(handler.received) == (4 if retried else 2)
    finally:
        controller.stop()
    failed = store.sql("SELECT DISTINCT payload->>'error_class' FROM events WHERE type = 'AlertFailed'")[1]
    assert failed == [("smtp_4xx" if retried else "smtp_5xx",)]


def test_a_connection_dropped_after_data_resends_once_with_the_same_message_id(store):
    handler, controller, url = flaky_server(["drop"])
    try:
        ctx = seeded_context(store, url)
        ctx.alerts = ctx.alerts.model_copy(update={"recipients": ctx.alerts.recipients[:1]})
        alert_stage(ctx, Report())
        alert_stage(ctx, Report())
        alert_stage(ctx, Report())
    finally:
        controller.stop()
    ids = [email.message_from_bytes(m, policy=default)["Message-ID"] for m in handler.received]
    assert len(ids) == 2 and ids[0] == ids[1]  # at worst once more, and recognisably the same


def test_one_article_on_three_topics_is_one_alert_per_topic_and_no_more(store, tmp_path):
    events = [ev.article_discovered("a", "f", AT, url="https://e.org/a", title="t")]
    events += [ev.topic_matched("a", t, "v1", AT, score=1.0, snippet="s", terms=[])
               for t in ("puno-protests", "iran-ties", "china-acquisitions")]
    store.append(events + events, "seed")  # and again, as a retried task would
    alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
        {"email": "a@example.org", "topics": ["puno-protests", "iran-ties", "china-acquisitions"]}]})
    with MailCatcher(tmp_path / "mail") as mail:
        ctx = Context(Settings(db=store.path, smtp_url=mail.url), store,
                      FeedsFile(feeds=[{"id": "f", "url": "http://x/f"}]), load_topics(), alerts,
                      "run", fixed_clock())
        alert_stage(ctx, Report())
        alert_stage(ctx, Report())
    assert len(mail.received) == 1
    assert b"Subject: 3 new:" in mail.received[0]
    assert store.sql("SELECT count(*) FROM alerted")[1][0][0] == 3


def test_500_new_matches_make_one_message_and_lose_none(store, tmp_path):
    events = []
    for i in range(500):
        events.append(ev.article_discovered(f"a{i}", "f", AT, url=f"https://e.org/{i}", title=f"n{i}"))
        events.append(ev.topic_matched(f"a{i}", "puno-protests", "v1", AT, score=1.0,
                                       snippet=f"s{i}", terms=[]))
    store.append(events, "seed")
    alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
        {"email": "a@example.org", "topics": ["puno-protests"]}]})
    with MailCatcher(tmp_path / "mail") as mail:
        ctx = Context(Settings(db=store.path, smtp_url=mail.url), store,
                      FeedsFile(feeds=[{"id": "f", "url": "http://x/f"}]), load_topics(), alerts,
                      "run", fixed_clock())
        alert_stage(ctx, Report())
    assert len(mail.received) == 1
    body = email.message_from_bytes(mail.received[0], policy=default).get_body(("plain",)).get_content()
    lines = {line.strip() for line in body.splitlines()}
    assert all(f"https://e.org/{i}" in lines for i in range(500))
    assert store.sql("SELECT count(*) FROM alerted")[1][0][0] == 500


def test_a_digest_and_an_immediate_alert_with_their_charts(store, tmp_path):
    ctx = seeded_context(store, None)
    seven = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    ctx.alerts = AlertsFile.model_validate({"from": "newsmon@example.org", "recipients": [
        {"email": "now@example.org", "topics": ["iran-ties"]},
        {"email": "daily@example.org", "topics": ["puno-protests", "iran-ties"], "mode": "digest",
         "digest_at": "07:00", "timezone": "America/Lima"}]})
    # a re-tag found one more Puno article among the old ones
    store.append([ev.article_discovered("old", "sur", AT, url="https://e.org/old", title="Viejo paro"),
                  ev.topic_matched("old", "puno-protests", "v2", AT, score=1.0, snippet="s",
                                   terms=[], retag=True)], "retag")
    with MailCatcher(tmp_path / "mail") as mail:
        ctx.settings = ctx.settings.with_(smtp_url=mail.url)
        ctx.clock = lambda: seven + timedelta(hours=1)
        alert_stage(ctx, Report())
        alert_stage(ctx, Report())  # again: nothing more
    messages = {m["To"]: m for m in (email.message_from_bytes(b, policy=default) for b in mail.received)}
    assert set(messages) == {"now@example.org", "daily@example.org"} and len(mail.received) == 2
    assert messages["now@example.org"]["Subject"] == "1 new: iran-ties 1"
    digest = messages["daily@example.org"]
    assert digest["Subject"] == "4 new: puno-protests 3, iran-ties 1"
    text = digest.get_body(("plain",)).get_content()
    assert "== Found by re-tagging older articles ==" in text
    assert text.index("Viejo paro") > text.index("== Found by re-tagging older articles ==")
    charts = [p for p in digest.walk() if p.get_content_type() == "image/png"]
    assert len(charts) == 2 and charts[0].get_content()[:4] == b"\x89PNG"


def test_preview_writes_files_and_records_nothing(store, tmp_path):
    ctx = seeded_context(store, None)
    before = store.sql("SELECT count(*) FROM events")[1][0][0]
    from pipeline.alerts.outbox import preview
    written = preview(store, ctx.alerts, AT, tmp_path / "preview")
    assert sorted(p.name for p in (tmp_path / "preview").iterdir()) == [
        "all_example.org.eml", "all_example.org.html", "puno_example.org.eml", "puno_example.org.html"]
    assert len(written) == 2
    assert "puno-protests" in (tmp_path / "preview/all_example.org.html").read_text()
    assert store.sql("SELECT count(*) FROM events")[1][0][0] == before


DECIDE = """
import sys
from datetime import datetime, timezone
from pipeline.alerts.outbox import decide_due
from pipeline.core.config import AlertsFile
from pipeline.store import FileStore, Store
alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
    {"email": "a@example.org", "topics": ["puno-protests", "iran-ties"]}]})
outcome = decide_due(FileStore(sys.argv[1]), alerts, datetime.now(timezone.utc), sys.argv[2])
print(len(outcome.new_ids))
"""


def test_two_processes_deciding_at_once_never_take_the_same_item(store):
    import subprocess
    import sys
    seeded_context(store, None)
    runs = [subprocess.Popen([sys.executable, "-c", DECIDE, str(store.path), name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("one", "two")]
    decided = [int(run.communicate(timeout=120)[0].strip() or -1) for run in runs]
    assert sorted(decided) == [0, 1]  # one took the items; the other found none left
    items = store.sql("SELECT article_id, topic, count(*) FROM alerted GROUP BY ALL")[1]
    assert len(items) == 3 and all(n == 1 for _, _, n in items)


SEND = """
import sys
from datetime import datetime, timezone
from pipeline.alerts.outbox import Channels, send_outbox
from pipeline.alerts.smtp import SmtpServer
from pipeline.store import FileStore, Store
store, server = FileStore(sys.argv[1], lock_wait=60), SmtpServer.from_url(sys.argv[2])
outcome = send_outbox(store, Channels(server, "n@example.org"), datetime.now(timezone.utc), sys.argv[3])
print(sum(e.type == "AlertSent" for e in outcome.events), outcome.taken)
"""


class Holding:
    """An SMTP server that holds each message until `together` messages are in its hands
    at once (or `limit` seconds pass): the alerts are certainly being sent concurrently."""

    def __init__(self, together: int, limit: float = 60):
        self.together, self.limit, self.received, self.in_hand = together, limit, [], 0

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        self.in_hand += 1
        self.received.append(envelope.content)
        for _ in range(int(self.limit / 0.02)):
            if self.in_hand >= self.together:
                break
            await asyncio.sleep(0.02)
        return "250 OK"


def test_three_runs_sending_at_once_deliver_each_message_once(store):
    import subprocess
    import sys

    from aiosmtpd.controller import Controller

    from pipeline.alerts.outbox import decide_due
    ctx = seeded_context(store, None)
    decided = decide_due(store, ctx.alerts, AT, "decide").events
    assert len(decided) == 2
    # The first message is held until the second is in the server's hands too: someone
    # must take the second alert while the first is being sent.
    handler = Holding(together=2)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        url = f"smtp://127.0.0.1:{controller.port}?tls=none"
        runs = [subprocess.Popen([sys.executable, "-c", SEND, str(store.path), url, f"run-{i}"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for i in range(3)]
        results = [run.communicate(timeout=180) for run in runs]
    finally:
        controller.stop()
    assert all(run.returncode == 0 for run in runs), [err[-2000:] for _, err in results]
    sent, taken = zip(*(map(int, out.split()) for out, _ in results))
    ids = sorted(email.message_from_bytes(m, policy=default)["Message-ID"] for m in handler.received)
    assert len(ids) == 2 and len(set(ids)) == 2  # each message delivered once
    assert sum(sent) == 2 and sum(taken) >= 1  # and some run found one taken by another
    per_alert = store.sql("SELECT stream, count(*) FILTER (WHERE type = 'AlertSent'), "
                          "count(*) FILTER (WHERE type = 'AlertClaimed') FROM events "
                          "WHERE type LIKE 'Alert%' GROUP BY stream")[1]
    assert sorted((s, c) for _, s, c in per_alert) == [(1, 1), (1, 1)]


def test_a_claim_holds_until_its_lease_ends(store, tmp_path):
    from pipeline.alerts.outbox import CLAIM_LEASE, Channels, decide_due, send_outbox
    from pipeline.alerts.smtp import SmtpServer
    ctx = seeded_context(store, None)
    decided = decide_due(store, ctx.alerts, AT, "decide").events
    # a run claimed both alerts and died before sending them
    store.append([ev.alert_claimed(d.stream.split(":")[1], d.payload["recipient"], 1, AT,
                                   run="dead", until=(AT + CLAIM_LEASE).isoformat())
                  for d in decided], "dead")
    with MailCatcher(tmp_path / "mail") as mail:
        channels = Channels(SmtpServer.from_url(mail.url), "n@example.org")
        during = send_outbox(store, channels, AT + CLAIM_LEASE / 2, "run-2")
        after = send_outbox(store, channels, AT + CLAIM_LEASE * 2, "run-3")
    assert during.taken == 2 and len(mail.received) == 2
    assert [e.payload["attempt"] for e in after.events if e.type == ev.ALERT_CLAIMED] == [2, 2]


def test_an_alert_failed_for_good_is_sent_once_when_retried(store):
    from pipeline.alerts.outbox import Channels, retry_failed
    from pipeline.alerts.smtp import SmtpServer
    from pipeline.runs.cycle import retry_stage
    handler, controller, url = flaky_server(["550 5.1.1 mailbox unavailable"] * 2)
    try:
        ctx = seeded_context(store, url)
        alert_stage(ctx, Report())
        assert len(store.rows("failed_alerts")) == 2 and len(handler.received) == 2
        alert_stage(ctx, again := Report())  # a run does not retry them
        assert again.appended[ev.ALERT_SENT] == 0 and len(handler.received) == 2
        # the address is fixed: --retry-failed sends each once, and status shows them sent
        later = AT + timedelta(hours=1)
        ctx.clock = lambda: later
        retry_stage(ctx, retried := Report())
        assert retried.appended[ev.ALERT_SENT] == 2 and len(handler.received) == 4
        assert store.rows("failed_alerts") == [] and store.rows("outbox") == []
        assert {r[0] for r in store.sql("SELECT outcome FROM alerted")[1]} == {"sent"}
        # a second retry, or a run, finds nothing to send
        channels = Channels(SmtpServer.from_url(url), "n@example.org")
        assert retry_failed(store, channels, later, "run-x").events == []
        alert_stage(ctx, Report())
        assert len(handler.received) == 4
    finally:
        controller.stop()
    ids = [email.message_from_bytes(m, policy=default)["Message-ID"] for m in handler.received]
    assert sorted(ids[2:]) == sorted(ids[:2])  # the same messages, sent this time


def test_two_retries_at_once_reopen_a_failed_alert_once(store):
    from pipeline.alerts.outbox import _reopen
    handler, controller, url = flaky_server(["550 5.1.1 mailbox unavailable"] * 2)
    try:
        alert_stage(seeded_context(store, url), Report())
    finally:
        controller.stop()
    row = store.rows("failed_alerts")[0]
    # the second finds, in its transaction, the alert reopened by the first
    assert _reopen(store, row, AT, "retry-1") is not None
    assert _reopen(store, row, AT, "retry-2") is None
    assert len(store.rows("failed_alerts")) == 1


def test_a_retry_put_off_by_the_server_goes_back_to_the_outbox(store):
    from pipeline.runs.cycle import retry_stage
    handler, controller, url = flaky_server(["550 5.1.1 mailbox unavailable"] * 2 + ["451 4.3.0 later"] * 2)
    try:
        ctx = seeded_context(store, url)
        alert_stage(ctx, Report())
        retry_stage(ctx, retried := Report())
        assert retried.alerts_pending == 2 and len(store.rows("outbox")) == 2
        alert_stage(ctx, sent := Report())  # an ordinary run then sends them
        assert sent.appended[ev.ALERT_SENT] == 2 and len(handler.received) == 6
    finally:
        controller.stop()


def test_how_soon_each_alert_told_its_recipient(store, tmp_path):
    ctx = seeded_context(store, None)  # articles found at AT (the seed's poll)
    # a0's page says it was published two hours before it was found
    store.append([ev.article_extracted("a0", 1, AT, text="Paro en Puno.", title="t0",
                                       published=(AT - timedelta(hours=2)).isoformat(),
                                       date_source="page")], "x")
    with MailCatcher(tmp_path / "mail") as mail:
        ctx.settings = ctx.settings.with_(smtp_url=mail.url)
        later = AT + timedelta(minutes=42)
        ctx.clock = lambda: later
        alert_stage(ctx, Report())
    rows = store.sql("SELECT recipient, topic, article_id, sent_at, minutes_from_discovery, "
                     "minutes_from_publication FROM alert_latency ORDER BY ALL")[1]
    assert [(r, t, a) for r, t, a, *_ in rows] == [
        ("all@example.org", "iran-ties", "a1"), ("all@example.org", "puno-protests", "a0"),
        ("all@example.org", "puno-protests", "a2"), ("puno@example.org", "puno-protests", "a0"),
        ("puno@example.org", "puno-protests", "a2")]
    assert {(sent, minutes) for *_, sent, minutes, _ in rows} == {(later, 42.0)}
    assert {(a, published) for _, _, a, _, _, published in rows} == {
        ("a0", 162.0), ("a1", None), ("a2", None)}  # no date, no figure
