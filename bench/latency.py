"""Latency: 1,000 feeds on loopback publishing at their own rates (20 busy at 12 an hour,
80 at 1 an hour, 900 quiet at 2 a day; each a random stream, the same in both runs) on
a simulated clock. newsmon's poll stage planned and run once a simulated minute with
each feed at its own pace (`newsmon watch`, NEWSMON_PACED), against every feed once an
hour (hourly `newsmon run`). Both first learn for 12 simulated hours, then are measured
over the next 12: minutes from an item's appearance in its feed to its ArticleDiscovered
(tagging follows in the same cycle), and the polls made. The ratio column compares
paced to hourly."""

from __future__ import annotations

import email.utils
import random
import statistics
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
LEARN, MEASURE = timedelta(hours=12), timedelta(hours=12)
KINDS = [("busy", 20, 12.0), ("hourly", 80, 1.0), ("quiet", 900, 2 / 24)]  # name, feeds, items an hour
SHOWN = 20  # items a feed lists


class Clock:
    now = START


def streams(seed: int = 7) -> dict[str, list[datetime]]:
    """Each feed's publication times over the whole simulation (a Poisson process)."""
    rng, out = random.Random(seed), {}
    end = START + LEARN + MEASURE
    for kind, count, per_hour in KINDS:
        for i in range(count):
            times, t = [], START - timedelta(hours=rng.expovariate(per_hour))
            while t < end:
                t += timedelta(hours=rng.expovariate(per_hour))
                times.append(t)
            out[f"{kind}{i}"] = times
    return out


def serve(published: dict[str, list[datetime]]) -> tuple[ThreadingHTTPServer, list[int]]:
    """A feed per path: the last SHOWN items published by the simulated now, with an
    ETag, answering 304 to a poll that has seen them."""
    polls = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            polls[0] += 1
            feed = self.path.strip("/").removesuffix(".xml")
            seen = [t for t in published.get(feed, []) if t <= Clock.now][-SHOWN:]
            etag = f'"{feed}-{len(seen)}-{seen[-1].timestamp() if seen else 0}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            items = "".join(
                f"<item><title>{feed} {t:%H%M%S}</title><link>http://news.example/{feed}/{t.timestamp():.0f}"
                f"</link><pubDate>{email.utils.format_datetime(t)}</pubDate></item>" for t in reversed(seen))
            body = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{feed}</title>{items}"
                    "</channel></rss>").encode()
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, polls


def simulate(paced: bool, published: dict[str, list[datetime]]) -> dict:
    from pipeline.core.config import Feed
    from pipeline.core.settings import Settings
    from pipeline.ingest.poll import plan_polls, poll_feeds
    from pipeline.ingest.schedule import schedule_for
    from pipeline.store import FileStore

    server, polls = serve(published)
    host = f"127.0.0.1:{server.server_address[1]}"
    feeds = [Feed(id=f, url=f"http://{host}/{f}.xml") for f in published]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db=Path(folder) / "sim.duckdb", allow_hosts=frozenset({host}), offline=True,
                            concurrency=32, per_host=32, paced=paced)
        store = FileStore(settings.db)
        schedule = schedule_for(settings)
        step = timedelta(minutes=1) if paced else timedelta(hours=1)
        Clock.now, measured_from = START, START + LEARN
        while Clock.now < START + LEARN + MEASURE:
            if Clock.now == measured_from:
                polls[0] = 0
            plans, _ = plan_polls(store, feeds, Clock.now, schedule)
            if plans:
                store.append(poll_feeds(plans, settings, lambda: Clock.now), f"sim-{Clock.now:%j%H%M}")
            Clock.now += step
        found = store.sql(
            "SELECT payload->>'url', feed_id, occurred_at, "
            "date_diff('second', CAST(payload->>'published' AS TIMESTAMPTZ), occurred_at) / 60.0 "
            "FROM events WHERE type = 'ArticleDiscovered'")[1]
        by_kind: dict[str, list[float]] = {kind: [] for kind, _, _ in KINDS}
        for _, feed, at, waited in found:
            if at >= measured_from:
                by_kind[feed.rstrip("0123456789")].append(waited)
        # items of the measured hours, but the last 3 (a quiet feed's wait), never seen
        seen = {url for url, *_ in found}
        missed = sum(f"http://news.example/{feed}/{t.timestamp():.0f}" not in seen
                     for feed, times in published.items() for t in times
                     if measured_from <= t < START + LEARN + MEASURE - timedelta(hours=3))
    server.shutdown()
    return {"polls": polls[0], "by_kind": by_kind, "missed": missed}


def _quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    cuts = statistics.quantiles(values, n=20)
    return statistics.median(values), cuts[18]


def run() -> list[tuple[str, str, str]]:
    published = streams()
    hourly = simulate(False, published)
    paced = simulate(True, published)
    rows = [("polls made in the measured hours", f"{paced['polls']:,} paced, {hourly['polls']:,} hourly",
             f"{paced['polls'] / hourly['polls']:.2f}")]
    for kind, count, per_hour in KINDS:
        p50, p95 = _quantiles(paced["by_kind"][kind])
        h50, h95 = _quantiles(hourly["by_kind"][kind])
        rows.append((f"{kind} feeds ({count}, {per_hour:.3g} an hour): minutes to discovery, median",
                     f"{p50:.1f} paced, {h50:.1f} hourly", f"{p50 / h50:.2f}"))
        rows.append((f"{kind} feeds: minutes to discovery, 95th percentile",
                     f"{p95:.1f} paced, {h95:.1f} hourly", f"{p95 / h95:.2f}"))
    rows.append(("items that scrolled off unseen", f"{paced['missed']} paced, {hourly['missed']} hourly", ""))
    return rows


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row))
