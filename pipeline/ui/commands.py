"""What each `newsmon` command does, once its arguments are read (cli.py reads them)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import time
from contextlib import nullcontext
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from pipeline.core import events as ev
from pipeline.core.settings import Settings
from pipeline.demo import DEMO_DB
from pipeline.store import Store, open_store
from pipeline.ui.arguments import CommandError, unknown
from pipeline.ui.render import (
    RichProgress,
    render_diff,
    render_scores,
    rows_as,
    summary,
    top_matches,
    write_rows,
)

if TYPE_CHECKING:
    from pipeline.runs.context import Context, Report

# The rest of the pipeline is imported by the commands that use it: `newsmon status` or
# `sql` need not load the extractor, the HTTP client, matplotlib or the templates (the
# difference is half a second of every start).

SHOWN_ROWS = 1000  # a table on a terminal; more goes to a file
EXPLORE = "SELECT topic, title, site, published, snippet FROM mentions ORDER BY topic, published"


def _topics(settings: Settings):
    from pipeline.topics.definitions import load_topics  # the query parser: lark, regex
    return load_topics(settings.topics)


def _store(settings: Settings):
    """The store, saying on stderr how far it has got when it must rebuild or catch up its
    read models before answering (after an upgrade, or a log grown outside newsmon)."""
    store = open_store(settings)
    errors = Console(stderr=True, markup=False)
    store.progress = lambda applied, last: errors.print(
        f"read models: {applied:,} of {last:,} events applied", highlight=False)
    return store


def _rebuild(args, settings: Settings, console: Console) -> int:
    store = _store(settings)
    if not store.exists():
        raise CommandError(f"no event store at {store.path} to rebuild")
    started = time.monotonic()
    applied = store.rebuild()
    console.print(f"read models rebuilt from {applied:,} events of {store.path} in "
                  f"{time.monotonic() - started:.1f} s", highlight=False)
    return 0


def _context(args, settings: Settings, progress) -> Context:
    from pipeline.runs.context import Context
    return Context.open(settings, "cli", store=_store(settings), progress=progress)


def _run(args, settings: Settings, console: Console) -> int:
    from pipeline.runs.cycle import run_cycle
    with RichProgress(console, enabled=not args.no_progress) as progress:
        ctx = _context(args, settings, progress)
        report = run_cycle(ctx)
    _finish(console, ctx.store, report)
    return _every_feed_failed(report)


def _serve(args, settings: Settings, console: Console) -> int:
    from pipeline.ingest.websub import key_for
    from pipeline.runs.context import Context, utc_now
    from pipeline.runs.serve import Subscriber, serve
    from pipeline.runs.watch import Stop
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--listen needs HOST:PORT, not {args.listen!r}")
    public = args.public_url or f"http://{args.listen}"
    if not re.match(r"^https?://[^/\s]+", public):
        raise CommandError(f"--public-url must be an http:// or https:// URL, not {public!r}")
    store = _store(settings)
    try:
        key = key_for(settings.db)
    except ValueError as error:
        raise CommandError(str(error)) from None

    def said(text: str) -> None:
        console.print(f"{utc_now():%Y-%m-%d %H:%M:%S} {text}", highlight=False, soft_wrap=True)

    subscriber = Subscriber(lambda: Context.open(settings, "serve", store=store), public, key, said, utc_now)
    with Stop(said) as stop:
        said(f"taking WebSub pushes at {public}/websub/<feed id> (listening on {args.listen}); "
             "Ctrl-C stops")
        try:
            serve(subscriber, host, int(port), settings.max_feed_bytes, stop)
        except OSError as error:
            raise CommandError(f"cannot listen on {args.listen}: {error.strerror or error}") from None
    return 0


def _watch(args, settings: Settings, console: Console) -> int:
    from datetime import timedelta

    from pipeline.runs.context import Context, utc_now
    from pipeline.runs.watch import Stop, watch
    settings = settings.with_(paced=True)
    store = _store(settings)

    def each(ctx: Context, report: Report) -> None:
        a = report.appended
        console.print(f"{utc_now():%Y-%m-%d %H:%M:%S} {ctx.run_id}: {report.feeds_polled} feeds polled "
                      f"({a[ev.FEED_POLL_FAILED]} failed), {a[ev.ARTICLE_DISCOVERED]} new articles, "
                      f"{a[ev.ARTICLE_EXTRACTED]} extracted, {sum(report.matches.values())} matches, "
                      f"{a[ev.ALERT_SENT]} alerts sent", highlight=False, soft_wrap=True)
        for note in report.notes:
            console.print(f"  {note}", highlight=False, soft_wrap=True)

    with Stop(lambda said: console.print(said, highlight=False)) as stop:
        console.print(f"watching {store.path}: a cycle every {args.every} s; Ctrl-C stops after the "
                      "cycle under way", highlight=False, soft_wrap=True)
        cycles = watch(lambda: Context.open(settings, "watch", store=store), timedelta(seconds=args.every),
                       stop, each, args.cycles)
    console.print(f"stopped after {cycles} cycles", highlight=False)
    return 0


def _stage(name: str):
    """A command that runs one stage of `runs/cycle.py` (by its name there)."""
    def run(args, settings: Settings, console: Console) -> int:
        from pipeline.runs import cycle
        from pipeline.runs.context import Report
        stage = getattr(cycle, name)
        with RichProgress(console, enabled=not args.no_progress) as progress:
            ctx = _context(args, settings, progress)
            report = Report()
            stage(ctx, report)
        summary(console, report)
        return _every_feed_failed(report)
    return run


_poll = _stage("poll_stage")
_process = _stage("process_stage")
_recheck = _stage("recheck_stage")


def _every_feed_failed(report: Report) -> int:
    """A run whose every poll failed did nothing a scheduler should call a success."""
    if not report.every_feed_failed:
        return 0
    Console(stderr=True, markup=False).print(
        f"error: all {report.feeds_polled} feeds polled failed ({', '.join(sorted(report.failed_feeds))}): "
        "is the network up?", soft_wrap=True, highlight=False)
    return 1


def _alert(args, settings: Settings, console: Console) -> int:
    from pipeline.alerts import outbox
    from pipeline.runs.context import Context, utc_now
    from pipeline.runs.cycle import letterheads
    if args.retry_failed and args.preview:
        raise CommandError("--retry-failed sends, --preview only writes files: give one of them")
    if args.retry_failed:
        from pipeline.core.config import load_alerts
        chats = any(r.url for r in load_alerts(settings.alerts, _topics(settings).ids).recipients)
        if not settings.smtp_url and not chats:
            raise CommandError("NEWSMON_SMTP_URL is not set: there is no server to send them to")
        return _stage("retry_stage")(args, settings, console)
    if not args.preview:
        return _stage("alert_stage")(args, settings, console)
    ctx = Context.open(settings, "preview", store=_store(settings))
    written = outbox.preview(ctx.store, ctx.alerts, utc_now(), args.preview, letterheads(ctx))
    console.print(f"{len(written)} messages written to {args.preview}/ (.eml and .html, .md for chats); "
                  "nothing was sent or recorded")
    return 0


def _copy_log(args, settings: Settings, console: Console) -> int:
    from pipeline.runs.context import run_id, utc_now
    from pipeline.store.copy import copy_log
    source = _store(settings)
    target = _store(settings.with_(db=args.to, lake_data=args.to_lake_data))
    if str(target.path) == str(source.path):
        raise CommandError("the target is the source")
    if not source.exists():
        raise CommandError(f"no event log at {source.path} to copy")
    copied = copy_log(source, target, run_id("copy-log", utc_now()))
    console.print(f"{copied.read} events read from {source.path}; {copied.added} added to "
                  f"{target.path}, {copied.read - copied.added} were there already")
    if copied.lost:
        ranges = ", ".join(f"{a}-{b}" for a, b in copied.lost[:10])
        more = f" and {len(copied.lost) - 10} more ranges" if len(copied.lost) > 10 else ""
        console.print(f"{sum(b - a + 1 for a, b in copied.lost)} events could not be read, "
                      f"the file being damaged there: seq {ranges}{more}", highlight=False)
        return 1
    return 0


def _status(args, settings: Settings, console: Console) -> int:
    from pipeline.alerts.pending import waiting_for
    from pipeline.core.config import load_alerts, topic_ids
    alerts = load_alerts(settings.alerts, topic_ids(settings.topics))
    show = [("Recent runs", "recent_runs", {"limit": 5},
             ["run_id", "finished", "events", "articles", "matches", "alerts_sent", "errors"]),
            ("Alerts waiting to be sent (the outbox)", "outbox", {},
             ["alert_id", "recipient", "mode", "decided_at", "failures"]),
            ("Alerts that failed for good", "failed_alerts", {},
             ["alert_id", "recipient", "items", "decided_at", "error"])]
    # every table from one state of the store, on one connection
    with _store(settings).reading() as store:
        for title, query, params, columns in show:
            rows = store.rows(query, params)
            rows_as("table", columns, [tuple(r[c] for c in columns) for r in rows], console, title=title)
        columns, rows = store.sql("SELECT feed_id, state, failure_streak, last_error, moved_to, "
                                  "articles_7d, usual_7d FROM feeds WHERE state <> 'ok' OR volume_low "
                                  "OR moved_to IS NOT NULL ORDER BY feed_id")
        rows_as("table", columns, rows, console, title="Feeds in trouble (see the feeds view)")
        columns, rows = store.sql("SELECT country, feeds, failing, usual_7d FROM country_health "
                                  "WHERE quiet ORDER BY country")
        rows_as("table", columns, rows, console,
                title="Countries gone quiet: no article from any of their outlets in 7 days")
        columns, rows = store.sql("SELECT seen_at, change, reason, article_id, title FROM revisions "
                                  "WHERE seen_at >= now() - INTERVAL 7 DAY ORDER BY seen_at DESC LIMIT 20")
        rows_as("table", columns, rows, console,
                title="Matched articles revised or taken down in the last 7 days (see the revisions view)")
        # those the alerts file names, and those the log has alerts for (the data may have
        # been made with another alerts file: the demo's, or last year's)
        history = {r[0]: r[1:] for r in store.sql(
            "SELECT recipient, any_value(mode), count(DISTINCT alert_id) FILTER (WHERE outcome = 'sent') "
            "FROM alerted GROUP BY recipient")[1]}
        recipients: list[tuple] = [
            (r.key, r.mode, waiting_for(store, r), history.get(r.key, (r.mode, 0))[1],
             "after each run" if r.mode == "immediate" else f"{r.digest_at} {r.timezone}")
            for r in alerts.recipients]
    configured = {r.key for r in alerts.recipients}
    recipients += [(email, mode, None, sent, "not configured")
                   for email, (mode, sent) in sorted(history.items()) if email not in configured]
    rows_as("table", ["recipient", "mode", "waiting", "sent", "schedule"],
            recipients, console, title="Recipients")
    return 0


def _demo(args, settings: Settings, console: Console) -> int:
    from pipeline.demo import run as demo
    if args.serve:
        return _serve_demo(args, console)
    settings = settings if args.db else settings.with_(db=DEMO_DB)
    if not args.db and os.environ.get("NEWSMON_DB"):
        # the demo's data must not land in the store of real monitoring
        console.print(f"note: the demo does not use NEWSMON_DB; it records into {DEMO_DB} "
                      "(give --db to choose another file)", highlight=False)
    console.print(f"newsmon demo: serving the sample corpus on 127.0.0.1:{args.port}, "
                  f"recording into {settings.db}")
    with RichProgress(console, enabled=not args.no_progress) as progress:
        report = demo.run_demo(settings, args.port, args.mail_dir, progress)
    store = _store(settings)
    _finish(console, store, report)
    trends = [r for r in store.rows("trends_day", {"topic": None, "since": None}) if r["articles"]]
    if trends:
        rows_as("table", ["day", "topic", "articles", "stories"],
                [(r["period"], r["topic"], r["articles"], r["stories"]) for r in trends], console,
                title="Matching articles per day (newsmon trends)")
    mails = sorted(args.mail_dir.glob("*.eml"))
    console.print(f"Alert emails caught by the demo's SMTP server: {len(mails)} in total, in "
                  f"{args.mail_dir}/ (each .eml also as .html, to open in a browser)")
    console.print("\nExplore the result:")
    console.print(f"  {_self()} sql --db {shlex.quote(str(settings.db))} {shlex.quote(EXPLORE)}",
                  highlight=False, soft_wrap=True)
    return 0


def _serve_demo(args, console: Console) -> int:
    from pipeline.demo import run as demo
    with demo.serving(args.port, args.mail_dir, Path("newsmon-demo-feeds.yaml")) as env:
        try:  # from the first line out: Ctrl-C may come as soon as it is read
            console.print("newsmon demo: serving the sample corpus and catching mail until Ctrl-C. "
                          "Point a run (Airflow's, or `newsmon run`) at them with:", highlight=False)
            console.print("  export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                          highlight=False, soft_wrap=True)
            # short sleeps: the kernel may hand Ctrl-C to a server's thread, and then
            # Python raises KeyboardInterrupt here only once the sleep under way ends
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            console.print(f"stopped; caught mail is in {args.mail_dir}/", highlight=False)
    return 0


def _finish(console: Console, store: Store, report: Report) -> None:
    summary(console, report)
    top_matches(console, store.rows("top_matches", {"per_topic": 3}))


def _self() -> str:
    """How to call newsmon again from here: by its path when it lives under this folder
    (the checkout's .venv, which `uv run` puts on PATH only for its own child), else by
    name if PATH finds this same program."""
    program = Path(sys.argv[0]).resolve()
    try:
        return str(program.relative_to(Path.cwd().resolve()))
    except ValueError:
        found = shutil.which("newsmon")
        return "newsmon" if found and Path(found).resolve() == program else str(program)


def _sql(args, settings: Settings, console: Console) -> int:
    store = _store(settings)
    if args.format == "parquet":
        if not args.out:
            raise CommandError("--format parquet needs --out FILE")
        table = store.sql_arrow(args.query, timeout=args.timeout)
        from pipeline.store import arrow
        arrow.write_table(args.out, table)
        console.print(f"{table.num_rows} rows written to {args.out}")
        return 0
    if args.format == "table" and not args.out:
        def first_rows(columns, batches):
            return columns, list(islice(chain.from_iterable(batches), SHOWN_ROWS + 1))
        columns, rows = store.sql_each(args.query, first_rows, timeout=args.timeout)
        rows_as("table", columns, rows[:SHOWN_ROWS], console)
        if len(rows) > SHOWN_ROWS:
            console.print(f"only the first {SHOWN_ROWS} rows are shown: add LIMIT, or write "
                          "them all with --format csv --out FILE", style="yellow", soft_wrap=True)
        return 0
    fmt = "csv" if args.format == "table" else args.format  # a table goes to a file as CSV
    with (args.out.open("w", encoding="utf-8", newline="") if args.out else nullcontext(sys.stdout)) as out:
        written = store.sql_each(args.query, lambda columns, batches: write_rows(
            fmt, columns, batches, out), timeout=args.timeout)
    if args.out:
        console.print(f"{written} rows written to {args.out}")
    return 0


def _events(args, settings: Settings, console: Console) -> int:
    if args.type and args.type not in ev.EVENT_TYPES:
        raise CommandError(unknown("event type", args.type, ev.EVENT_TYPES))
    rows = _store(settings).rows(
        "events", {"type": args.type, "stream": args.stream, "limit": args.tail}, missing_ok=False)
    columns = ["seq", "recorded_at", "type", "stream", "run_id", "payload"]
    if args.format == "json":  # the payload as the object it is, not a string of JSON
        rows = [{**r, "payload": json.loads(r["payload"])} for r in rows]
    rows_as(args.format, columns, [tuple(r[c] for c in columns) for r in reversed(rows)], console)
    return 0


def _show(args, settings: Settings, console: Console) -> int:
    store = _store(settings)
    found = store.rows("article_detail", {"article_id": args.article_id}, missing_ok=False)
    if not found:
        raise CommandError(f"no article {args.article_id} in {store.path}")
    title, url, state, day, language, site, text = found[0].values()
    console.print(f"{title or '(no title)'}\n{url}\n{site or ''} · {day} · {language or '?'} · {state}",
                  highlight=False, soft_wrap=True, markup=False)
    columns = ["seq", "recorded_at", "type", "run_id", "payload"]
    rows = [tuple(r.values()) for r in store.rows("article_events", {"article_id": args.article_id})]
    rows_as("table", columns, rows, console, title="Its events")
    fetches = [json.loads(payload) for *_, kind, _, payload in rows if kind == ev.ARTICLE_FETCHED]
    revisions = [json.loads(payload) for *_, kind, _, payload in rows if kind == ev.ARTICLE_REVISED]
    found = _archived(fetches, settings)
    if found is not None:
        kept, (page_url, status, _, body) = found
        console.print(f"\nArchived: {kept['warc_file']} at {kept['warc_offset']} "
                      f"({kept['warc_record_id']}): HTTP {status}, {len(body):,} bytes from {page_url}",
                      highlight=False, soft_wrap=True, markup=False)
        for later in (r for r in revisions if r.get("warc_record_id")):
            console.print(f"Archived as revised (check {later['check']}): {later['warc_file']} at "
                          f"{later['warc_offset']} ({later['warc_record_id']})",
                          highlight=False, soft_wrap=True, markup=False)
        if args.page:
            args.page.write_bytes(body)
            console.print(f"the page written to {args.page}", highlight=False, markup=False)
    elif fetches:
        console.print("\nNo archived page: it was fetched before the archive was kept, or with "
                      "NEWSMON_ARCHIVE=off", highlight=False)
    if text:
        console.print(f"\n{text}", highlight=False, soft_wrap=True, markup=False)
    return 0


def _archived(fetches: list[dict], settings: Settings) -> tuple[dict, tuple] | None:
    """The latest of an article's fetches (ArticleFetched payloads) that the archive
    kept, and its record (url, status, headers, body); None when none was kept."""
    from pipeline.ingest import archive
    kept = [f for f in fetches if f.get("warc_record_id")]
    folder = archive.folder_for(settings)
    if not kept or folder is None:
        return None
    return kept[-1], archive.read(folder, kept[-1])


def _trends(args, settings: Settings, console: Console) -> int:
    from pipeline.trends import charts
    store = _store(settings)
    if args.topic:
        _known_topic(store, settings, args.topic)
    rows = store.rows(f"trends_{args.by}", {"topic": args.topic, "since": args.since},
                                   missing_ok=False)
    columns = ["period", "topic", "articles", "stories", "share", "mean_7d", "mean_28d", "spike"]
    if args.chart and not rows:
        Console(stderr=True, markup=False).print("no rows to draw: no chart written", highlight=False)
    elif args.chart:
        args.chart.write_bytes(charts.volume(rows, "articles per {unit}"))
        Console(stderr=True, markup=False).print(f"chart written to {args.chart}", highlight=False)
    if args.format != "table":
        rows_as(args.format, columns, [tuple(r[c] for c in columns) for r in rows], console)
        return 0
    # as a table: narrow enough for 80 columns, and quiet days left out
    shown = [r for r in rows if r["articles"] or r["spike"]]
    quiet = len(rows) - len(shown)
    rows_as("table", ["period", "topic", "articles", "stories", "share", "7d", "28d", "spike"],
            [(r["period"], r["topic"], r["articles"], r["stories"], _shown(r["share"], ".0%"),
              _shown(r["mean_7d"], ".1f"), _shown(r["mean_28d"], ".1f"), "yes" if r["spike"] else "")
             for r in shown], console,
            title=f"Matching articles per {args.by}"
                  + (f" ({quiet} quiet {args.by}s left out)" if quiet else ""))
    console.print(f"share: of all articles ingested that {args.by}" + (
        "; 7d, 28d: mean matching articles per day over the last 7 and 28 days" if args.by == "day" else ""),
        style="dim")
    return 0


def _known_topic(store: Store, settings: Settings, topic: str) -> None:
    """A topic of the rules, or one the log has matches of (from rules since changed)."""
    known = set(_topics(settings).ids)
    if topic not in known:
        known |= {row[0] for row in store.sql("SELECT DISTINCT topic FROM mentions")[1]}
    if topic not in known:
        raise CommandError(unknown("topic", topic, known))


def _shown(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _report(args, settings: Settings, console: Console) -> int:
    from datetime import datetime, timezone

    from pipeline.ui import report  # not runs.context for the clock: it imports the poller
    if args.since and args.until and args.since > args.until:
        raise CommandError(f"--since {args.since} is after --until {args.until}")
    written = report.write(_store(settings), _topics(settings), args.out,
                           datetime.now(timezone.utc), args.since, args.until)
    size = written.page.stat().st_size // 1024
    console.print(f"report written to {written.page} ({size} KB), with "
                  f"{' and '.join(p.name for p in written.csvs)} beside it: open it in a browser",
                  highlight=False, soft_wrap=True)
    if not written.matches:
        console.print("note: no matching articles in that range; the page says where the log has some",
                      highlight=False)
    return 0


def _search(args, settings: Settings, console: Console) -> int:
    from pipeline.topics.rules import QueryError
    from pipeline.topics.search import search
    store = _store(settings)
    if not store.exists():
        raise CommandError(f"no event store at {store.path}: run `newsmon run` or `newsmon demo` first")
    topics = _topics(settings)
    if args.topic:
        _known_topic(store, settings, args.topic)
    index = settings.db.with_name(settings.db.name + ".search") if isinstance(settings.db, Path) \
        else Path("newsmon.search")
    errors = Console(stderr=True, markup=False)
    try:
        found = search(store, topics, args.query, index, since=args.since, topic=args.topic,
                       limit=args.limit, progress=lambda note: errors.print(note, highlight=False))
    except QueryError as error:
        raise CommandError(f"not a query: {error}") from None
    columns = ["day", "site", "title", "topics", "snippet", "url"]
    rows = [(f.day, f.site, f.title, ", ".join(f.topics), f.snippet, f.url) for f in found]
    rows_as(args.format, columns, rows, console,
            title=f"Stored articles {args.query!r} finds, best first")
    return 0


def _feeds_import(args, settings: Settings, console: Console) -> int:
    from pipeline.core.config import default_path
    from pipeline.ingest.opml import import_opml
    target = settings.feeds or default_path("feeds")
    try:
        opml = args.file.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    try:
        done = import_opml(opml, target)
    except ValueError as error:
        raise CommandError(f"{args.file}: {error}") from None
    console.print(f"{len(done.added)} feeds added to {target}, {len(done.skipped)} already there, "
                  f"{len(done.invalid)} invalid", highlight=False, soft_wrap=True)
    for feed in done.added:
        console.print(f"  added {feed.id}: {feed.url}", highlight=False, soft_wrap=True)
    for where, why in done.invalid:
        console.print(f"  invalid {where}: {why}", highlight=False, soft_wrap=True)
    return 1 if done.invalid else 0


def _feeds_discover(args, settings: Settings, console: Console) -> int:
    from pipeline.core.config import default_path
    from pipeline.ingest.discover import discover
    from pipeline.ingest.feedsfile import add_feeds
    from pipeline.ingest.net import FetchError
    if not re.match(r"^https?://[^/\s]+", args.url):
        raise CommandError(f"not an http:// or https:// URL: {args.url}")
    try:
        found = discover(args.url, settings)
    except FetchError as error:
        raise CommandError(f"cannot fetch {args.url}: {error}") from None
    rows_as("table", ["url", "kind", "title", "entries", "found in"],
            [(f.url, f.kind, f.title, f.entries, f.via) for f in found], console,
            title=f"Feeds of {args.url}")
    if not found:
        console.print("no feed found: the site may publish none, or name it nowhere a reader looks")
        return 1
    if args.add:
        target = settings.feeds or default_path("feeds")
        done = add_feeds(target, [(f.url, f.title) for f in found])
        console.print(f"{len(done.added)} feeds added to {target}, {len(done.skipped)} already there",
                      highlight=False, soft_wrap=True)
    return 0


def _feeds_export(args, settings: Settings, console: Console) -> int:
    from pipeline.core.config import load_feeds
    from pipeline.ingest.opml import export_opml
    opml = export_opml(load_feeds(settings.feeds))
    if args.out:
        args.out.write_bytes(opml)
        console.print(f"{opml.count(b'xmlUrl=')} feeds written to {args.out}", highlight=False)
    else:
        sys.stdout.write(opml.decode("utf-8"))
    return 0


def _tag(args, settings: Settings, console: Console) -> int:
    from pipeline.topics.tagging import Tagger
    tagger = Tagger(_topics(settings))
    status = 0
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
                raise ValueError("expected an object with a string `text`")
        except ValueError as error:
            print(f"line {number}: skipped, not a JSON object with `text`: {error}", file=sys.stderr)
            status = 1
            continue
        matches = tagger.tag(item.get("text") or "", item.get("title") or "")
        item["topics"] = [m.topic for m in matches]
        item["matches"] = [{"topic": m.topic, "ruleset_version": tagger.version, "score": m.score,
                            "terms": [h.as_dict() for h in m.hits], "snippet": m.snippet}
                           for m in matches]
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
    return status


def _retag(args, settings: Settings, console: Console) -> int:
    from pipeline.runs.context import run_id, utc_now
    from pipeline.topics.retag import retag
    from pipeline.topics.tagging import Tagger
    tagger = Tagger(_topics(settings))
    diff = retag(_store(settings), tagger,
                 run_id("retag", utc_now()), utc_now())
    render_diff(console, diff, f"Re-tagged {diff.articles} stored articles with ruleset {tagger.version}")
    return 0


def _reextract(args, settings: Settings, console: Console) -> int:
    from pipeline.extract.reextract import reextract
    from pipeline.runs.context import run_id, utc_now
    store = _store(settings)
    if not store.exists():
        raise CommandError(f"no store at {store.path}")
    total = store.count("archived_pages")
    with RichProgress(console, enabled=not args.no_progress) as progress:
        progress.start("reextract", total)
        outcome = reextract(store, settings, _topics(settings), run_id("reextract", utc_now()),
                            utc_now, apply=not args.dry_run,
                            progress=lambda n: progress.advance("reextract", n))
    console.print(f"Re-extracted from the archive with extractor {outcome.version}", highlight=False)
    for label, value in (("read from the archive", outcome.read), ("changed", outcome.changed),
                         ("no text now (left as they were)", outcome.failed),
                         ("archive file missing", outcome.missing), ("events recorded", outcome.appended)):
        console.print(f"  {label}: {value}", highlight=False, markup=False)
    if args.dry_run:
        console.print("  nothing recorded (--dry-run)", highlight=False)
    for article_id, before, after in outcome.samples:
        console.print(f"  {article_id}: {before or '(no title)'} -> {after or '(no title)'}",
                      highlight=False, markup=False, soft_wrap=True)
    from pipeline.ingest.archive import folder_for
    if folder_for(settings) is None:
        console.print("no archive: NEWSMON_ARCHIVE is off", highlight=False)
    return 0


def _archive_export(args, settings: Settings, console: Console) -> int:
    from pipeline.ingest import export
    from pipeline.ingest.archive import exists, folder_for
    from pipeline.runs.context import utc_now
    if not args.out.name.endswith((".warc.gz", ".wacz")):
        raise CommandError(f"{args.out}: the file must end in .warc.gz or .wacz")
    store, folder = _store(settings), folder_for(settings)
    if folder is None or not exists(folder):
        raise CommandError(f"no archive to export from ({folder or 'NEWSMON_ARCHIVE is off'})")
    if args.topic:
        _known_topic(store, settings, args.topic)
    ids = None
    if args.articles:
        ids = [str(row[0]) for row in store.sql(args.articles)[1]]
    rows = store.rows("export_records", {"topic": args.topic, "since": args.since,
                                         "until": args.until, "ids": ids}, missing_ok=False)
    about = {"title": "newsmon export", "topic": args.topic, "since": args.since,
             "until": args.until, "articles-query": args.articles, "store": str(store.path)}
    write = export.write_wacz if args.out.name.endswith(".wacz") else export.write_warc
    done = write(rows, folder, args.out, about, utc_now())
    console.print(f"{done.records} pages of {done.articles} articles written to {args.out} "
                  f"({done.bytes:,} bytes)", highlight=False, markup=False)
    if done.missing:
        console.print(f"{done.missing} pages were not found in {folder} (their files are gone)",
                      style="yellow", highlight=False, markup=False)
    return 0


def _topics_backtest(args, settings: Settings, console: Console) -> int:
    from pipeline.runs.context import utc_now
    from pipeline.topics.retag import retag
    from pipeline.topics.tagging import Tagger
    tagger = Tagger(_topics(settings))
    diff = retag(_store(settings), tagger, "backtest", utc_now(), apply=False)
    render_diff(console, diff, f"Ruleset {tagger.version} on {diff.articles} stored articles "
                "(nothing was changed)", samples=True)
    return 0


def _topics_check(args, settings: Settings, console: Console) -> int:
    from pipeline.topics.scoring import macro_f1, score
    from pipeline.topics.tagging import Tagger
    topics = _topics(settings)
    tagger = Tagger(topics)
    labelled = []
    try:
        for number, line in enumerate(args.file.open(encoding="utf-8"), 1):
            if line.strip():
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError("expected an object with a string `text`")
                labels = item.get("topics", [])
                if not isinstance(labels, list) or not all(isinstance(t, str) for t in labels):
                    raise ValueError(f"`topics` must be a list of topic ids, like "
                                     f"[\"{topics.ids[0]}\"], not {json.dumps(labels)}")
                for label in labels:
                    if label not in topics.ids:
                        raise ValueError(unknown("topic", label, topics.ids))
                item.setdefault("id", f"line {number}")
                labelled.append(item)
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    except ValueError as error:
        raise CommandError(f"{args.file}:{number}: {error}") from None
    scores = score(tagger, labelled)
    render_scores(console, scores, {str(item["id"]): item for item in labelled}, tagger)
    if args.by:
        groups: dict[str, list[dict]] = {}
        for item in labelled:
            groups.setdefault(str(item.get(args.by, "(none)")), []).append(item)
        rows = []
        for value, items in sorted(groups.items()):
            part = score(tagger, items)
            rows.append((value, len(items), f"{macro_f1(part):.3f}",
                         *(f"{part[t].f1:.3f}" if part[t].true_positives + len(part[t].false_negatives)
                           + len(part[t].false_positives) else "" for t in topics.ids)))
        rows_as("table", [args.by, "texts", "macro F1", *topics.ids], rows, console,
                title=f"By {args.by} (F1; blank: no text of that topic, labelled or found)")
    return 0


def _topics_explain(args, settings: Settings, console: Console) -> int:
    from pipeline.topics.tagging import Tagger, explain
    topics = _topics(settings)
    if args.topic not in topics.ids:
        raise CommandError(unknown("topic", args.topic, topics.ids))
    text = args.text if args.text is not None else sys.stdin.read()
    tagger = Tagger(topics)
    matched = any(m.topic == args.topic for m in tagger.tag(text, args.title))
    console.print(f"{args.topic}: {'matches' if matched else 'does not match'}; "
                  f"rule {' '.join(tagger.rule(args.topic).split())}",  # one line, however written
                  highlight=False, soft_wrap=True)
    for step in explain(tagger, args.topic, text, args.title):
        found = f"  {', '.join(step.found)}" if step.found else ""
        console.print(f"{'  ' * step.depth}{'✓' if step.holds else '✗'} {step.part}{found}",
                      highlight=False, soft_wrap=True)
    return 0 if matched else 1


def _extract(args, settings: Settings, console: Console) -> int:
    from pipeline.extract.page import decode, extract_page
    from pipeline.ingest.net import FetchError, Response, fetch
    target = args.target
    if args.from_archive:  # the page as it was read when the article was fetched
        events = _store(settings).rows("article_events", {"article_id": target}, missing_ok=False)
        found = _archived([json.loads(e["payload"]) for e in events if e["type"] == ev.ARTICLE_FETCHED],
                          settings)
        if found is None:
            raise CommandError(f"no archived page of an article {target} in {settings.db}")
        page_url, status, headers, body = found[1]
        kept = Response(page_url, status, {k.lower(): v for k, v in headers}, body)
        html, url = decode(body, kept.charset), args.url or page_url
    elif target.startswith(("http://", "https://")):
        try:
            response = fetch(target, settings, max_bytes=settings.max_page_bytes)
        except FetchError as error:
            raise CommandError(f"cannot fetch {target}: {error}") from None
        html, url = decode(response.body, response.charset), args.url or response.url
    else:
        try:
            html, url = decode(Path(target).read_bytes(), None), args.url
        except OSError as error:
            raise CommandError(f"cannot read {target}: {error.strerror}") from None
    from pipeline.core.config import load_sites
    extraction = extract_page(html, url, prune=load_sites(settings.sites).drop_for(url))
    if extraction is None:
        print(f"{target}: no main text found", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(vars(extraction), ensure_ascii=False, indent=2) + "\n")
    return 0

