import email
from email.policy import default

import pytest

from conftest import fixed_clock

from pipeline import events as ev
from pipeline.alerts import compose, decide, subject
from pipeline.config import AlertsFile, FeedsFile, TopicsFile, load_topics
from pipeline.cycle import Context, Report, alert_stage
from pipeline.mailcatcher import MailCatcher, free_port
from pipeline.settings import Settings

AT = fixed_clock()()


def match_row(i: int, topic: str, title: str = "Paro en Puno", snippet: str = "Paro en Puno.") -> dict:
    return {"match_event_id": f"m{i}", "article_id": f"a{i}", "topic": topic, "title": title,
            "url": f"https://example.org/{i}", "site": "Sur Andino", "feed_id": "sur",
            "published": AT, "date_source": "guess", "snippet": snippet, "score": 2.0,
            "terms": '[{"term": "puno", "field": "text", "start": 8, "end": 12, "found": "Puno"}]'}


def test_subject_says_what_is_inside():
    alert = decide("a@example.org", [match_row(1, "puno-protests"), match_row(2, "iran-ties"),
                                     match_row(3, "puno-protests")])
    assert subject(alert) == "3 new: puno-protests 2, iran-ties 1"


def test_hostile_titles_cannot_add_headers_and_html_is_escaped():
    rows = [match_row(1, "puno-protests", title="Paro\r\nBcc: victim@example.org\r\n",
                      snippet='<script>alert(1)</script><img src="https://tracker.example/p.gif">')]
    message = compose(decide("a@example.org", rows), "newsmon@example.org", AT)
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None and b"\r\nBcc:" not in raw
    html = parsed.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_same_matches_same_alert_and_message_id():
    rows = [match_row(1, "iran-ties"), match_row(2, "iran-ties")]
    one, other = decide("a@example.org", rows), decide("a@example.org", list(reversed(rows)))
    assert one.alert_id == other.alert_id
    assert decide("b@example.org", rows).alert_id != one.alert_id
    assert compose(one, "n@example.org", AT)["Message-ID"] == f"<{one.alert_id}@newsmon>"


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
    assert down.appended[ev.ALERT_FAILED] == 2 and down.alerts_pending == 5
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
