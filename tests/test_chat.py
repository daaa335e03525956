"""Alerts to chats and webhooks through Apprise: a JSON webhook and Mattermost (a chat
protocol Apprise speaks), both received by a real HTTP server on loopback that fails on
purpose. The same outbox as email: decided once, claimed, sent once, failures recorded."""

from datetime import timedelta

import pytest
from conftest import fixed_clock
from servers import HookServer

from pipeline.alerts.message import chat
from pipeline.core import events as ev
from pipeline.core.config import AlertsFile, ConfigError, FeedsFile, load_alerts
from pipeline.core.settings import Settings
from pipeline.runs.context import Context, Report
from pipeline.runs.cycle import alert_stage, retry_stage
from pipeline.topics.definitions import load_topics

AT = fixed_clock()()
TOKEN = "s3cr3tT0k3nXYZ"  # Mattermost's webhook id: a secret, never to be recorded
HOSTILE = "Paro en Puno [click](http://evil.example) @channel **now** <script>"


@pytest.fixture
def hooks():
    server = HookServer()
    yield server
    server.close()


def context(store, hooks, monkeypatch, smtp_url=None) -> Context:
    events = []
    for i, topic in enumerate(["puno-protests", "iran-ties", "puno-protests"]):
        events.append(ev.article_discovered(f"a{i}", "sur", AT, url=f"https://e.org/{i}",
                                            title=HOSTILE if i == 0 else f"t{i}"))
        events.append(ev.topic_matched(f"a{i}", topic, "v1", AT, score=1.0, snippet="s", terms=[]))
    store.append(events, "seed")
    monkeypatch.setenv("NEWSMON_TEST_MM", TOKEN)
    alerts = AlertsFile.model_validate({"from": "newsmon@example.org", "recipients": [
        {"url": f"json://{hooks.host_port}/hook", "name": "desk-webhook",
         "topics": ["puno-protests", "iran-ties"]},
        {"url": f"mmost://{hooks.host_port}/${{NEWSMON_TEST_MM}}", "topics": ["puno-protests"],
         "mode": "digest", "digest_at": "07:00", "timezone": "UTC"}]})
    later = AT + timedelta(days=1)  # past the digest's hour after the matches
    return Context(Settings(db=store.path, smtp_url=smtp_url), store,
                   FeedsFile(feeds=[{"id": "sur", "url": "http://x/f"}]), load_topics(), alerts,
                   "run", lambda: later)


def test_immediate_and_digest_alerts_arrive_once_through_failures(store, hooks, monkeypatch):
    ctx = context(store, hooks, monkeypatch)
    # the webhook fails; Mattermost reads the request and hangs up without an answer
    hooks.plan = {"/hook": ["500"], f"/hooks/{TOKEN}": ["drop"]}
    alert_stage(ctx, first := Report())
    assert first.appended[ev.ALERT_FAILED] == 2 and first.alerts_pending == 2
    assert sorted(c for _, c in first.errors) == ["connect", "http_5xx"]
    assert hooks.accepted == {}
    alert_stage(ctx, second := Report())  # both tried again, and taken in
    assert second.appended[ev.ALERT_SENT] == 2 and second.alerts_pending == 0
    alert_stage(ctx, third := Report())  # nothing more
    assert third.appended.get(ev.ALERT_SENT, 0) == 0
    assert sorted((path, len(got)) for path, got in hooks.accepted.items()) == [
        ("/hook", 1), (f"/hooks/{TOKEN}", 1)]
    assert len(hooks.answers) == 4  # two failures, two deliveries

    webhook, = hooks.accepted["/hook"]
    assert webhook["title"] == "3 new: puno-protests 2, iran-ties 1"
    assert "[Paro en Puno \\[click\\](http://evil.example) @\u200bchannel \\*\\*now\\*\\* \\<script\\>]" \
        "(https://e.org/0)" in webhook["message"]
    digest, = hooks.accepted[f"/hooks/{TOKEN}"]
    assert "(https://e.org/0)" in digest["text"] and "https://e.org/1" not in digest["text"]

    # what the log says: who (the name, or the URL as written), how it failed; no secret
    logged = store.sql("SELECT type, payload->>'recipient', payload->>'error_class' FROM events "
                       "WHERE type IN ('AlertFailed', 'AlertSent') ORDER BY type, 2")[1]
    mattermost = f"mmost://{hooks.host_port}/${{NEWSMON_TEST_MM}}"
    assert logged == [("AlertFailed", "desk-webhook", "http_5xx"), ("AlertFailed", mattermost, "connect"),
                      ("AlertSent", "desk-webhook", None), ("AlertSent", mattermost, None)]
    assert store.sql(f"SELECT count(*) FROM events WHERE payload::VARCHAR LIKE '%{TOKEN}%'")[1] == [(0,)]


def test_a_refusal_is_final_until_retried_and_the_secret_stays_out(store, hooks, monkeypatch):
    ctx = context(store, hooks, monkeypatch)
    ctx.alerts = ctx.alerts.model_copy(update={"recipients": ctx.alerts.recipients[1:]})
    # written out, the token is masked in the name as Apprise masks it
    ctx.alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
        {"url": f"mmost://{hooks.host_port}/{TOKEN}", "topics": ["puno-protests"]}]})
    hooks.plan = {f"/hooks/{TOKEN}": ["404"]}
    alert_stage(ctx, refused := Report())
    assert [c for _, c in refused.errors] == ["http_4xx"] and refused.alerts_pending == 0
    alert_stage(ctx, again := Report())  # a 404 is not tried again by a run
    assert again.appended.get(ev.ALERT_CLAIMED, 0) == 0
    retry_stage(ctx, retried := Report())  # the hook is mended: the user retries
    assert retried.appended[ev.ALERT_SENT] == 1
    assert [p for p, _ in hooks.answers] == [f"/hooks/{TOKEN}"] * 2
    recorded = store.sql("SELECT payload::VARCHAR FROM events WHERE type LIKE 'Alert%'")[1]
    assert recorded and not any(TOKEN in text for text, in recorded)
    assert any(f"mmost://{hooks.host_port}/s...Z" in text for text, in recorded)


def test_chats_go_out_without_a_mail_server_while_email_waits(store, hooks, monkeypatch):
    ctx = context(store, hooks, monkeypatch)
    ctx.alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
        *[r.model_dump(exclude_none=True) for r in ctx.alerts.recipients[:1]],
        {"email": "desk@example.org", "topics": ["iran-ties"]}]})
    alert_stage(ctx, report := Report())
    assert report.appended[ev.ALERT_SENT] == 1 and report.alerts_pending == 1
    assert "1 matches wait for an alert email" in report.notes[0]
    assert store.sql("SELECT DISTINCT payload->>'recipient' FROM events WHERE type LIKE 'Alert%'")[1] \
        == [("desk-webhook",)]


def test_a_long_alert_lists_a_few_stories_per_topic_and_points_to_the_rest():
    items = [{"article_id": f"a{i}", "topic": "puno-protests", "title": f"Paro {i}",
              "url": f"https://e.org/{i}", "site": "Sur", "published": AT, "tagged_at": AT,
              "terms": "[]"} for i in range(30)]
    from pipeline.alerts.message import Letterhead
    title, body = chat("alert-1", items, AT, Letterhead(report_url="https://team.example/report"))
    assert title == "30 new: puno-protests 30"
    assert body.count("\n- [Paro") == 8 and "and 22 more: [the report](https://team.example/report)" in body
    assert body.rstrip().endswith("alert alert-1")  # a receiver can drop a repeat by it


@pytest.mark.parametrize("entry, says", [
    ({"email": "a@example.org", "url": "json://h/x"}, "an email or a url, not both"),
    ({}, "an email or a url, not both"),
    ({"url": "nosuch://h/x"}, "Apprise does not know the service nosuch://"),
    ({"url": "not a url"}, "must be an Apprise URL"),
])
def test_a_recipient_that_cannot_be_reached_is_a_config_error(tmp_path, entry, says):
    path = tmp_path / "alerts.yaml"
    import yaml
    path.write_text(yaml.safe_dump({"from": "n@example.org", "recipients": [
        {**entry, "topics": ["iran-ties"]}]}))
    with pytest.raises(ConfigError, match=says):
        load_alerts(path, {"iran-ties"})


def test_a_service_that_is_down_is_tried_again_and_its_error_masks_the_token(store, hooks, monkeypatch):
    from pipeline.demo.mailcatcher import free_port
    ctx = context(store, hooks, monkeypatch)
    ctx.alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
        {"url": f"mmost://127.0.0.1:{free_port()}/{TOKEN}", "topics": ["iran-ties"]}]})
    alert_stage(ctx, down := Report())
    assert [c for _, c in down.errors] == ["connect"] and down.alerts_pending == 1
    detail, = store.sql("SELECT payload->>'detail' FROM events WHERE type = 'AlertFailed'")[1][0]
    # requests names the URL it could not reach: the token in its path is masked
    assert "/hooks/***" in detail and TOKEN not in detail


def test_an_alert_to_a_chat_taken_out_of_the_alerts_file_fails_for_good_and_says_why(store, hooks,
                                                                                     monkeypatch):
    ctx = context(store, hooks, monkeypatch)
    hooks.plan = {"/hook": ["500"], f"/hooks/{TOKEN}": ["500"]}
    alert_stage(ctx, Report())  # both wait in the outbox, to be tried again
    ctx.alerts = AlertsFile.model_validate({"from": "n@example.org", "recipients": [
        {"email": "desk@example.org", "topics": ["iran-ties"]}]})  # and no mail server
    alert_stage(ctx, report := Report())
    assert report.appended[ev.ALERT_FAILED] == 2 and report.alerts_pending == 1  # the email's matches
    failed = store.sql("SELECT recipient, outcome, error FROM alerted WHERE outcome = 'failed' "
                       "GROUP BY ALL ORDER BY 1")[1]
    assert [(r, o) for r, o, _ in failed] == [("desk-webhook", "failed"),
                                              (f"mmost://{hooks.host_port}/${{NEWSMON_TEST_MM}}", "failed")]
    assert all("no longer in the alerts file" in e for *_, e in failed)
    assert len(hooks.answers) == 2  # nothing was sent to them again
