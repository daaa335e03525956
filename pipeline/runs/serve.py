"""`newsmon serve`: the WebSub subscriber. It asks the hub each feed names to push the
feed's new content to `<public URL>/websub/<feed id>`, answers the hub's check of intent
(recording `FeedSubscribed` with its lease), and takes a signed push as a poll result:
the same `FeedPolled` (marked `pushed`) and `ArticleDiscovered` events a poll of that
content would record, with the next poll number, then fetches, tags and alerts as a run
does (`cycle.follow_up`). Polling stays the default: a paced run polls a pushed feed
only now and then, and as before once its lease has lapsed. Subscriptions are renewed
an hour before their lease ends.

One thread answers HTTP (each request in its own); one worker takes pushes in turn, so
the store has one writer here.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from pipeline.core import events as ev
from pipeline.ingest import websub
from pipeline.ingest.net import Fetcher, FetchError, Response
from pipeline.ingest.poll import PollPlan, poll_events
from pipeline.runs.context import Context, Report
from pipeline.runs.cycle import follow_up
from pipeline.runs.watch import Stopping

RENEW = timedelta(hours=1)        # before a lease ends
RESUBSCRIBE = timedelta(minutes=10)  # between tries at a hub that did not confirm


class Subscriber:
    def __init__(self, open_context: Callable[[], Context], public_url: str, key: bytes,
                 said: Callable[[str], None], clock: Callable[[], datetime]):
        self.open_context, self.public_url = open_context, public_url.rstrip("/")
        self.key, self.said, self.clock = key, said, clock
        self.asked: dict[str, tuple[str, str, datetime]] = {}  # feed id: hub, topic, when
        self.pushes: queue.Queue = queue.Queue()
        self.lock = threading.Lock()

    # -- subscribing ---------------------------------------------------------------

    def subscribe_due(self) -> int:
        """Ask for every subscription missing or ending within the hour; how many asked."""
        ctx = self.open_context()
        now, known = self.clock(), {f.id for f in ctx.feeds.feeds}
        due = [r for r in ctx.store.rows("feed_hubs") if r["feed_id"] in known
               and (r["lease_until"] is None or r["lease_until"] < now + RENEW)
               and not (r["feed_id"] in self.asked and self.asked[r["feed_id"]][2] > now - RESUBSCRIBE)]

        async def ask_all() -> None:
            async with Fetcher(ctx.settings) as fetcher:
                for row in due:
                    feed_id, hub, topic = row["feed_id"], row["hub"], row["topic"]
                    with self.lock:
                        self.asked[feed_id] = (hub, topic, now)
                    try:
                        await websub.subscribe(fetcher, hub, topic, f"{self.public_url}/websub/{feed_id}",
                                               websub.feed_secret(self.key, feed_id))
                        self.said(f"asked {hub} to push {feed_id}")
                    except FetchError as error:
                        self.said(f"{hub} refused to push {feed_id}: {error}")
        asyncio.run(ask_all())
        return len(due)

    def confirm(self, feed_id: str, query: dict[str, str]) -> str | None:
        """The challenge to echo when the hub checks a subscription we asked for (and
        its lease recorded); None when we did not ask for it."""
        with self.lock:
            asked = self.asked.get(feed_id)
        if query.get("hub.mode") != "subscribe" or asked is None or query.get("hub.topic") != asked[1]:
            return None
        seconds = query.get("hub.lease_seconds", "")
        now = self.clock()
        lease = now + (timedelta(seconds=int(seconds)) if seconds.isdigit() else websub.LEASE)
        ctx = self.open_context()
        ctx.store.append([ev.feed_subscribed(feed_id, now, asked[0], asked[1], lease)], ctx.run_id)
        self.said(f"{asked[0]} pushes {feed_id} until {lease:%Y-%m-%d %H:%M} UTC")
        return query.get("hub.challenge", "")

    # -- pushes --------------------------------------------------------------------

    def take(self, feed_id: str, body: bytes, headers: dict[str, str]) -> bool:
        """Queue a push whose signature holds; False (dropped) when it does not."""
        if not websub.signed(body, headers.get("x-hub-signature"), websub.feed_secret(self.key, feed_id)):
            self.said(f"a push for {feed_id} without a valid signature was dropped")
            return False
        self.pushes.put((feed_id, body, headers))
        return True

    def work(self, stop: Stopping) -> None:
        """Record each push as a poll result and follow it up, one at a time."""
        while not stop.is_set():
            try:
                feed_id, body, headers = self.pushes.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                self.record(feed_id, body, headers)
            except Exception as error:  # one bad push must not end the service
                self.said(f"the push for {feed_id} could not be recorded: {type(error).__name__}: {error}")

    def record(self, feed_id: str, body: bytes, headers: dict[str, str]) -> Report:
        ctx = self.open_context()
        feed = next((f for f in ctx.feeds.feeds if f.id == feed_id), None)
        if feed is None:
            self.said(f"a push for {feed_id}, no longer in the feeds file, was dropped")
            return Report()
        last = next((r for r in ctx.store.rows("plan_polls") if r["feed_id"] == feed_id), {})
        plan = PollPlan(feed_id, feed.url, (last.get("polls") or 0) + 1, feed_url=feed.url)
        answer = Response(feed.url, 200, {"content-type": headers.get("content-type", "")}, body)
        report = Report()
        events = poll_events(plan, answer, ctx.clock(), pushed=True)
        report.record(events, ctx.store.append(events, ctx.run_id))
        follow_up(ctx, report)
        self.said(f"pushed {feed_id}: {report.appended[ev.ARTICLE_DISCOVERED]} new articles, "
                  f"{sum(report.matches.values())} matches, {report.appended[ev.ALERT_SENT]} alerts sent")
        return report


class PushServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's backlog of 5 would turn away a hub's burst of pushes
    request_queue_size = socket.SOMAXCONN


def http_server(subscriber: Subscriber, host: str, port: int, max_bytes: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _feed(self) -> str | None:
            parts = urlsplit(self.path).path.strip("/").split("/")
            return parts[1] if len(parts) == 2 and parts[0] == "websub" and parts[1] else None

        def _answer(self, status: int, text: str = "") -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            feed_id = self._feed()
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            challenge = subscriber.confirm(feed_id, query) if feed_id else None
            if challenge is None:
                self._answer(404, "not asked for")
            else:
                self._answer(200, challenge)

        def do_POST(self) -> None:
            feed_id = self._feed()
            length = int(self.headers.get("Content-Length") or 0)
            if feed_id is None or length > max_bytes:
                self.close_connection = True
                return self._answer(404 if feed_id is None else 413)
            body = self.rfile.read(length)
            # a push whose signature fails is acknowledged all the same, as the
            # recommendation asks, and dropped
            subscriber.take(feed_id, body, {k.lower(): v for k, v in self.headers.items()})
            self._answer(202)

    return PushServer((host, port), Handler)


def serve(subscriber: Subscriber, host: str, port: int, max_bytes: int, stop: Stopping,
          every: timedelta = RESUBSCRIBE) -> None:
    """Answer hubs and take pushes until `stop` is set, subscribing again as leases end."""
    server = http_server(subscriber, host, port, max_bytes)
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=subscriber.work, args=(stop,), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        while not stop.is_set():
            subscriber.subscribe_due()
            stop.wait(every.total_seconds())
    finally:
        server.shutdown()
        server.server_close()
        threads[1].join()
