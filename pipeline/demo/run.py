"""`newsmon demo`: the whole pipeline, offline, on the bundled sample corpus (I/O).

The corpus is served by a real HTTP server on loopback and the alert emails are
caught by a real SMTP server on loopback; nothing leaves the machine. The site runs
on a fixed port because article URLs, and so article identities, include it: a
second demo run on the same database must find the same articles.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from pipeline.core.resources import data_dir
from pipeline.core.settings import Settings
from pipeline.demo import DemoError
from pipeline.demo.mailcatcher import MailCatcher
from pipeline.demo.siteserver import SiteServer
from pipeline.runs.context import Context, Progress, Report, utc_now
from pipeline.runs.cycle import run_cycle

# A recipient in demo/alerts.yaml that the demo's mail server does not know.
DEMO_UNKNOWN_MAILBOXES = frozenset({"buzon-inexistente@example.org"})


@contextmanager
def serving(port: int, mail_dir: Path, feeds_out: Path) -> Iterator[dict[str, str]]:
    """The demo's site and mail server, running until the block ends, for a pipeline run
    elsewhere (Airflow's DAGs): yields the settings, as NEWSMON_* variables, that point a
    run at them. The feeds file is written with the site's address in it."""
    root = data_dir("demo")
    try:
        site = SiteServer(root / "site", port)
    except OSError as error:
        raise DemoError(f"cannot serve the demo site on 127.0.0.1:{port} ({error.strerror}); "
                        "pass --port N") from None
    with site, MailCatcher(mail_dir, unknown=DEMO_UNKNOWN_MAILBOXES) as mail:
        feeds_out.write_text((root / "feeds.yaml").read_text(encoding="utf-8")
                             .replace("{{origin}}", site.origin), encoding="utf-8")
        yield {"NEWSMON_FEEDS": str(feeds_out.resolve()), "NEWSMON_ALERTS": str(root / "alerts.yaml"),
               "NEWSMON_ALLOW_HOSTS": site.host_port, "NEWSMON_OFFLINE": "1",
               "NEWSMON_SMTP_URL": mail.url}


def run_demo(settings: Settings, port: int, mail_dir: Path, progress: Progress,
             clock: Callable[[], datetime] = utc_now) -> Report:
    root = data_dir("demo")
    try:
        site = SiteServer(root / "site", port)
    except OSError as error:
        raise DemoError(f"cannot serve the demo site on 127.0.0.1:{port} ({error.strerror}); "
                        "pass --port N, and the same N on every run on this database "
                        "(article URLs include it)") from None
    with site, MailCatcher(mail_dir, unknown=DEMO_UNKNOWN_MAILBOXES) as mail:
        settings = settings.with_(allow_hosts=settings.allow_hosts | {site.host_port},
                                  offline=True, smtp_url=mail.url)
        settings = settings.with_(feeds=root / "feeds.yaml", alerts=root / "alerts.yaml")
        ctx = Context.open(settings, "demo", clock=clock, progress=progress, origin=site.origin)
        return run_cycle(ctx)
