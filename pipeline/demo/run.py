"""`newsmon demo`: the whole pipeline, offline, on the bundled sample corpus (I/O).

The corpus is served by a real HTTP server on loopback and the alert emails are
caught by a real SMTP server on loopback; nothing leaves the machine. The site runs
on a fixed port because article URLs, and so article identities, include it: a
second demo run on the same database must find the same articles.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from pipeline.core.config import load_alerts, load_feeds, load_topics
from pipeline.runs.cycle import Context, Progress, Report, run_cycle, run_id, utc_now
from pipeline.demo.mailcatcher import MailCatcher
from pipeline.core.resources import data_dir
from pipeline.core.settings import Settings
from pipeline.demo.siteserver import SiteServer
from pipeline.store import open_store

DEMO_DB = Path("newsmon-demo.duckdb")
DEMO_MAIL = Path("newsmon-demo-mail")
DEMO_PORT = 8765
# A recipient in demo/alerts.yaml that the demo's mail server does not know.
DEMO_UNKNOWN_MAILBOXES = frozenset({"buzon-inexistente@example.org"})


class DemoError(Exception):
    pass


def run_demo(settings: Settings, port: int, mail_dir: Path, progress: Progress,
             clock: Callable[[], datetime] = utc_now) -> Report:
    root = data_dir("demo")
    try:
        site = SiteServer(root / "site", port)
    except OSError as error:
        raise DemoError(f"cannot serve the demo site on 127.0.0.1:{port} ({error.strerror}); "
                        "pass --port N, and the same N on every run on this database "
                        "(article URLs include it)") from None
    alerts_file = root / "alerts.yaml"
    with site, MailCatcher(mail_dir, unknown=DEMO_UNKNOWN_MAILBOXES) as mail:
        settings = replace(settings, allow_hosts=settings.allow_hosts | {site.host_port},
                           offline=True, smtp_url=mail.url)
        topics = load_topics(settings.topics)
        ctx = Context(
            settings=settings,
            store=open_store(settings),
            feeds=load_feeds(root / "feeds.yaml", origin=site.origin),
            topics=topics,
            alerts=load_alerts(alerts_file, topics),
            run_id=run_id("demo", clock()),
            clock=clock,
            progress=progress,
        )
        return run_cycle(ctx)
