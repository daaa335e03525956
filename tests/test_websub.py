"""WebSub: a hub on loopback (written here, as the recommendation describes one) verifies
`newsmon serve`'s subscription and pushes the feed; the articles are recorded as a poll
of the pushed content and the alert follows without any poll. A push the hub did not
sign is dropped."""

import hashlib
import hmac
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import DEMO_SITE, fixed_clock, settings_for
from servers import connections_taken

from pipeline.core import events as ev
from pipeline.core.config import Feed
from pipeline.demo.mailcatcher import MailCatcher, free_port
from pipeline.ingest import websub
from pipeline.ingest.poll import plan_polls, poll_feeds
from pipeline.store import FileStore


class Hub:
    """A WebSub hub: takes subscription requests, checks each with the subscriber (a GET
    with a challenge to echo), and pushes content to the verified ones, signed."""

    def __init__(self):
        self.verified: dict[str, tuple[str, str]] = {}  # topic: callback, secret
        self.requests = 0
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                hub.requests += 1
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                request = {k: v[0] for k, v in form.items()}
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                threading.Thread(target=hub.verify, args=(request,), daemon=True).start()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def verify(self, request: dict) -> None:
        challenge = "challenge-" + os.urandom(6).hex()
        query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.topic": request["hub.topic"],
                                        "hub.challenge": challenge, "hub.lease_seconds": "3600"})
        with urllib.request.urlopen(f"{request['hub.callback']}?{query}", timeout=10) as answer:
            if answer.status == 200 and answer.read().decode() == challenge:
                self.verified[request["hub.topic"]] = (request["hub.callback"], request["hub.secret"])

    def publish(self, topic: str, body: bytes, secret: str | None = None) -> int:
        callback, agreed = self.verified[topic]
        signature = hmac.new((secret or agreed).encode(), body, hashlib.sha256).hexdigest()
        push = urllib.request.Request(callback, data=body, method="POST", headers={
            "Content-Type": "application/rss+xml", "X-Hub-Signature": f"sha256={signature}"})
        with urllib.request.urlopen(push, timeout=10) as answer:
            return answer.status


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.1)


def with_hub(feed: bytes, hub: str, topic: str, items: bool) -> bytes:
    links = f'<atom:link rel="hub" href="{hub}"/><atom:link rel="self" href="{topic}"/>'.encode()
    feed = feed.replace(b"<channel>", b"<channel>" + links, 1)
    return feed if items else re.sub(rb"<item>.*</item>", b"", feed, flags=re.S)


@pytest.mark.slow  # a service, a hub, a mail server and one article cycle: about 10 s
def test_a_hub_pushes_an_item_and_the_alert_follows_without_a_poll(serve, tmp_path):
    hub = Hub()
    site_root = tmp_path / "site"
    site_root.mkdir()
    import shutil
    shutil.copytree(DEMO_SITE / "sur-andino", site_root / "sur-andino")
    site = serve(site_root)
    topic = f"{site.origin}/sur-andino/rss.xml"
    served = urllib.request.urlopen(topic).read()
    full = with_hub(served, hub.url, topic, items=True)
    (site_root / "sur-andino/rss.xml").write_bytes(
        with_hub((DEMO_SITE / "sur-andino/rss.xml").read_bytes(), hub.url, topic, items=False))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f'feeds:\n  - {{id: sur-andino, url: "{topic}", country: PE}}\n')
    db = tmp_path / "pushed.duckdb"
    # a first poll: the feed lists nothing yet, and names its hub
    store = FileStore(db)
    plans, _ = plan_polls(store, [Feed(id="sur-andino", url=topic)], fixed_clock()())
    polled = poll_feeds(plans, settings_for(site, db), fixed_clock())
    assert [e.payload.get("hub") for e in polled if e.type == ev.FEED_POLLED] == [hub.url]
    store.append(polled, "first-poll")

    port = free_port()
    with MailCatcher(tmp_path / "mail") as mail:
        hosts = f"{site.host_port},127.0.0.1:{hub.server.server_address[1]}"
        # faulthandler: a service that does not stop is made to say where it stands
        env = {**os.environ, "NEWSMON_ALLOW_HOSTS": hosts, "NEWSMON_OFFLINE": "1", "NEWSMON_WORKERS": "1",
               "NEWSMON_SMTP_URL": mail.url, "PYTHONFAULTHANDLER": "1"}
        service = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--listen", f"127.0.0.1:{port}", "--db", str(db),
             "--feeds", str(feeds), "--alerts", str(DEMO_SITE.parent / "alerts.yaml")],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: topic in hub.verified or service.poll() is not None)
            assert service.poll() is None, service.communicate()[1][-2000:]
            # a push signed with another secret is acknowledged and dropped
            assert hub.publish(topic, full, secret="not-the-one") == 202
            assert hub.publish(topic, full) == 202
            wait_for(lambda: len(mail.received) >= 1)
        finally:
            service.send_signal(signal.SIGTERM)
            try:
                out, err = service.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                service.send_signal(signal.SIGABRT)
                out, err = service.communicate()
                pytest.fail(f"the service did not stop: {err[-4000:]}")
    assert service.returncode == 0, err[-2000:]
    assert "without a valid signature was dropped" in out

    store = FileStore(db)
    polls = store.sql("SELECT payload->>'pushed', count(*) FROM events WHERE type = 'FeedPolled' "
                      "GROUP BY ALL ORDER BY ALL")[1]
    assert polls == [("true", 1), (None, 1)]  # the first poll, and one push: no other
    lease = store.sql("SELECT payload->>'hub', payload->>'topic' FROM events "
                      "WHERE type = 'FeedSubscribed'")[1]
    assert lease == [(hub.url, topic)]
    # every article alerted on came from the push
    alerted = store.sql(
        "SELECT count(*), count(*) FILTER (WHERE (d.payload->>'poll') = p.event_id) FROM alerted AS a "
        "JOIN events AS d ON d.type = 'ArticleDiscovered' AND d.article_id = a.article_id "
        "JOIN events AS p ON p.type = 'FeedPolled' AND (p.payload->>'pushed') = 'true'")[1][0]
    assert alerted[0] > 0 and alerted[0] == alerted[1]


def test_a_signature_is_the_hmac_of_the_body_with_the_feed_secret():
    secret = websub.feed_secret(b"k", "sur")
    assert secret != websub.feed_secret(b"k", "norte") != websub.feed_secret(b"other", "sur")
    body = b"<rss/>"
    good = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert websub.signed(body, good, secret)
    assert websub.signed(body, "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(), secret)
    assert not websub.signed(body + b" ", good, secret)
    assert not websub.signed(body, None, secret) and not websub.signed(body, "md5=00", secret)


def test_the_push_server_takes_a_hubs_burst_of_connections():
    from pipeline.runs.serve import http_server

    server = http_server(None, "127.0.0.1", 0, 1000)  # listening, not yet accepting
    try:
        assert connections_taken(server.server_address, clients=64) == 64
    finally:
        server.server_close()
