"""The `newsmon` command (the shell): reads the environment, the clock and the
arguments, and hands them to the pipeline."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import time
from contextlib import nullcontext
from itertools import chain, islice
from pathlib import Path

from rich.console import Console
from rich.text import Text

from pipeline.alerts import outbox
from pipeline.core import events as ev
from pipeline.core.config import ConfigError, load_alerts, load_sites
from pipeline.core.settings import Settings, db_location, from_env
from pipeline.demo import run as demo
from pipeline.extract.page import decode, extract_page
from pipeline.ingest.net import FetchError, fetch
from pipeline.runs.context import Context, Report, run_id, utc_now
from pipeline.runs.cycle import alert_stage, poll_stage, process_stage, run_cycle
from pipeline.store import Store, StoreError, arrow, open_store
from pipeline.store.copy import copy_log
from pipeline.topics.definitions import load_topics
from pipeline.topics.retag import retag
from pipeline.topics.scoring import score
from pipeline.topics.tagging import Tagger
from pipeline.trends import charts
from pipeline.ui import report
from pipeline.ui.arguments import Parser, count, day, output_file, output_folder, unknown
from pipeline.ui.render import (
    RichProgress,
    render_diff,
    render_scores,
    rows_as,
    summary,
    top_matches,
    write_rows,
)


class CommandError(Exception):
    """A command that cannot do what was asked, for a reason the user can act on."""


SHOWN_ROWS = 1000  # a table on a terminal; more goes to a file
EXPLORE = "SELECT topic, title, site, published, snippet FROM mentions ORDER BY topic, published"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # no markup: every message here may quote data ("[/]" in a title, a path)
    console = Console(stderr=False, soft_wrap=False, markup=False)
    errors = Console(stderr=True, markup=False)
    try:
        settings = from_env().with_(db=args.db, feeds=getattr(args, "feeds", None),
                                    topics=getattr(args, "topics", None),
                                    alerts=getattr(args, "alerts", None),
                                    sites=getattr(args, "sites", None))
        return args.command(args, settings, console) or 0
    except (ConfigError, StoreError, CommandError, demo.DemoError) as error:
        # one line, never wrapped, and shown as written: a message quotes data and
        # patterns that rich would take for markup
        errors.print(Text.assemble(("error:", "red"), f" {error}"), soft_wrap=True,
                     highlight=False)
        return 2
    except OSError as error:  # a file we were told to read or write, say which and why
        where = f": {error.filename}" if error.filename else ""
        errors.print(Text.assemble(("error:", "red"), f" {error.strerror or error}{where}"),
                     soft_wrap=True, highlight=False)
        return 1
    except KeyboardInterrupt:
        errors.print(Text.assemble(("interrupted", "yellow"), ": events committed so far are kept"))
        return 130


def _parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument("--db", type=db_location,
                        help="event store: a file, ducklake:postgres:<libpq string> or "
                             "ducklake:<catalog file> (default: NEWSMON_DB or ./newsmon.duckdb)")
    configs = Parser(add_help=False)
    configs.add_argument("--feeds", type=Path, help="feeds file (default: bundled config/feeds.yaml)")
    configs.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    configs.add_argument("--alerts", type=Path, help="alerts file (default: bundled config/alerts.yaml)")
    configs.add_argument("--sites", type=Path,
                         help="per-outlet extraction rules (default: bundled config/sites.yaml)")
    configs.add_argument("--no-progress", action="store_true", help="no progress bars")
    fmt = Parser(add_help=False)
    fmt.add_argument("--format", choices=("table", "csv", "json"), default="table")

    parser = Parser(prog="newsmon", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, func, help: str, parents=(common,)) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=list(parents))
        p.set_defaults(command=func)
        return p

    p = command("demo", _demo, "run the whole pipeline offline on the bundled sample corpus",
                (common, configs))
    p.add_argument("--port", type=int, default=demo.DEMO_PORT,
                   help=f"loopback port of the demo site (default {demo.DEMO_PORT}; keep it the same "
                        "across runs)")
    p.add_argument("--mail-dir", type=Path, default=demo.DEMO_MAIL,
                   help=f"where caught alert emails go (default ./{demo.DEMO_MAIL})")
    command("run", _run, "one full cycle on the configured feeds: poll, fetch, extract, tag, alert",
            (common, configs))
    command("poll", _stage(poll_stage), "poll the configured feeds and record what they list",
            (common, configs))
    command("process", _stage(process_stage), "fetch, extract and tag the articles not fetched yet",
            (common, configs))
    p = command("alert", _alert, "send the alerts that are due (or only write them out, with "
                "--preview)", (common, configs))
    p.add_argument("--preview", type=output_folder, metavar="DIR",
                   help="write the message each recipient would get now, as .eml and .html, "
                   "and send nothing")
    command("status", _status, "recent runs, the alert outbox, failed alerts, feeds in trouble",
            (common, configs))
    command("rebuild", _rebuild, "drop the read models (what the views read) and build them "
            "again from the event log", (common,))
    p = command("copy-log", _copy_log, "copy the events the target log lacks into it, in order "
                "(a DuckDB file to DuckLake, or back); safe to run again", (common,))
    p.add_argument("--to", type=db_location, required=True,
                   help="the target: a file, ducklake:postgres:<libpq string> or "
                   "ducklake:<catalog file>")
    p.add_argument("--to-lake-data", help="the target's DuckLake data path "
                   "(default: NEWSMON_LAKE_DATA)")
    p = command("sql", _sql, "read-only SQL on the event log and its views", (common,))
    p.add_argument("query")
    p.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    p.add_argument("--out", type=output_file, help="write to this file (needed for parquet)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds before the query is stopped (default 30; a commit waits for it)")
    p = command("events", _events, "show the latest events of the log", (common, fmt))
    p.add_argument("--type", help="only events of this type, e.g. TopicMatched")
    p.add_argument("--stream", help="only events of this stream, e.g. feed:andina")
    p.add_argument("--tail", type=count, default=20, help="how many (default 20)")
    p = command("trends", _trends, "matching articles and stories per topic per day or week, "
                "with their share of all articles, rolling means and spikes", (common, fmt))
    p.add_argument("--by", choices=("day", "week"), default="day")
    p.add_argument("--topic", help="one topic only")
    p.add_argument("--since", type=day, help="first day, YYYY-MM-DD")
    p.add_argument("--chart", type=output_file, help="also draw the trend into this PNG file")
    p = command("report", _report, "one HTML page with charts, spikes, top stories per topic "
                "and feed health", (common,))
    p.add_argument("--out", type=output_file, default=Path("newsmon-report.html"))
    p.add_argument("--since", type=day, help="first day, YYYY-MM-DD")
    p = command("tag", _tag, "JSON lines on stdin (text, title, lang, id) to the same lines with "
                "topics and matches added")
    p.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    p = command("retag", _retag, "replay stored articles through the current topic rules",
                (common,))
    p.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    topics = sub.add_parser("topics", help="check topic rules against labelled texts, or "
                            "backtest them on the stored articles")
    topic_commands = topics.add_subparsers(required=True, metavar="ACTION")
    p = topic_commands.add_parser("check", parents=[common], help="precision, recall and F1 per "
                                  "topic on labelled JSON lines (text, topics, id, title)")
    p.set_defaults(command=_topics_check)
    p.add_argument("file", type=Path)
    p.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    p = topic_commands.add_parser("backtest", parents=[common], help="what the rules in --topics "
                                  "would add and drop among the stored articles; changes nothing")
    p.set_defaults(command=_topics_backtest)
    p.add_argument("--topics", type=Path, help="the rules to try (default: bundled config/topics.yaml)")
    p = command("extract", _extract, "one page (file or URL) to JSON: title, text, date, language...")
    p.add_argument("target", help="an HTML file (may be gzipped) or an http(s) URL")
    p.add_argument("--url", help="the page's own URL, when TARGET is a file (picks its site rules)")
    p.add_argument("--sites", type=Path,
                   help="per-outlet extraction rules (default: bundled config/sites.yaml)")
    return parser


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
    return Context.open(settings, "cli", store=_store(settings), progress=progress)


def _run(args, settings: Settings, console: Console) -> int:
    with RichProgress(console, enabled=not args.no_progress) as progress:
        ctx = _context(args, settings, progress)
        report = run_cycle(ctx)
    _finish(console, ctx.store, report)
    return _every_feed_failed(report)


def _stage(stage):
    def run(args, settings: Settings, console: Console) -> int:
        with RichProgress(console, enabled=not args.no_progress) as progress:
            ctx = _context(args, settings, progress)
            report = Report()
            stage(ctx, report)
        summary(console, report)
        return _every_feed_failed(report)
    return run


def _every_feed_failed(report: Report) -> int:
    """A run whose every poll failed did nothing a scheduler should call a success."""
    if not report.every_feed_failed:
        return 0
    Console(stderr=True, markup=False).print(
        f"error: all {report.feeds_polled} feeds polled failed ({', '.join(sorted(report.failed_feeds))}): "
        "is the network up?", soft_wrap=True, highlight=False)
    return 1


def _alert(args, settings: Settings, console: Console) -> int:
    if not args.preview:
        return _stage(alert_stage)(args, settings, console)
    ctx = Context.open(settings, "preview", store=_store(settings))
    written = outbox.preview(ctx.store, ctx.alerts,
                               utc_now(), args.preview)
    console.print(f"{len(written)} messages written to {args.preview}/ (.eml and .html); "
                  "nothing was sent or recorded")
    return 0


def _copy_log(args, settings: Settings, console: Console) -> int:
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
    store = _store(settings)
    show = [("Recent runs", "recent_runs", {"limit": 5},
             ["run_id", "finished", "events", "articles", "matches", "alerts_sent", "errors"]),
            ("Alerts waiting to be sent (the outbox)", "outbox", {},
             ["alert_id", "recipient", "mode", "decided_at", "failures"]),
            ("Alerts that failed for good", "failed_alerts", {},
             ["alert_id", "recipient", "items", "decided_at", "error"])]
    for title, query, params, columns in show:
        rows = store.rows(query, params, missing_ok=False)
        rows_as("table", columns, [tuple(r[c] for c in columns) for r in rows], console, title=title)
    columns, rows = store.sql("SELECT feed_id, state, failure_streak, last_error, moved_to, "
                              "articles_7d, usual_7d FROM feeds WHERE state <> 'ok' OR volume_low "
                              "OR moved_to IS NOT NULL ORDER BY feed_id")
    rows_as("table", columns, rows, console, title="Feeds in trouble (see the feeds view)")
    # those the alerts file names, and those the log has alerts for (the data may have
    # been made with another alerts file: the demo's, or last year's)
    alerts = load_alerts(settings.alerts, load_topics(settings.topics).ids)
    history = {r[0]: r[1:] for r in store.sql(
        "SELECT recipient, any_value(mode), count(DISTINCT alert_id) FILTER (WHERE outcome = 'sent') "
        "FROM alerted GROUP BY recipient")[1]}
    recipients: list[tuple] = [
        (r.email, r.mode, outbox.waiting_for(store, r), history.get(r.email, (r.mode, 0))[1],
         "after each run" if r.mode == "immediate" else f"{r.digest_at} {r.timezone}")
        for r in alerts.recipients]
    configured = {r.email for r in alerts.recipients}
    recipients += [(email, mode, None, sent, "not configured")
                   for email, (mode, sent) in sorted(history.items()) if email not in configured]
    rows_as("table", ["recipient", "mode", "waiting", "sent", "schedule"],
            recipients, console, title="Recipients")
    return 0


def _demo(args, settings: Settings, console: Console) -> int:
    settings = settings if args.db else settings.with_(db=demo.DEMO_DB)
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


def _trends(args, settings: Settings, console: Console) -> int:
    store = _store(settings)
    if args.topic:
        _known_topic(store, settings, args.topic)
    rows = store.rows(f"trends_{args.by}", {"topic": args.topic, "since": args.since},
                                   missing_ok=False)
    columns = ["period", "topic", "articles", "stories", "share", "mean_7d", "mean_28d", "spike"]
    if args.chart:
        args.chart.write_bytes(charts.volume(rows, f"articles per {args.by}"))
        Console(stderr=True).print(f"chart written to {args.chart}")
    shown = rows if args.format != "table" else [r for r in rows if r["articles"] or r["spike"]]
    rows_as(args.format, columns, [tuple(_round(r[c]) for c in columns) for r in shown], console,
            title=f"Articles per {args.by}" + (" (quiet days left out)" if len(shown) < len(rows) else ""))
    return 0


def _known_topic(store: Store, settings: Settings, topic: str) -> None:
    """A topic of the rules, or one the log has matches of (from rules since changed)."""
    known = set(load_topics(settings.topics).ids)
    if topic not in known:
        known |= {row[0] for row in store.sql("SELECT DISTINCT topic FROM mentions")[1]}
    if topic not in known:
        raise CommandError(unknown("topic", topic, known))


def _round(value):
    return round(value, 3) if isinstance(value, float) else value


def _report(args, settings: Settings, console: Console) -> int:
    page = report.build(_store(settings), utc_now(), args.since)
    args.out.write_text(page, encoding="utf-8")
    console.print(f"report written to {args.out} ({len(page) // 1024} KB): open it in a browser")
    return 0


def _tag(args, settings: Settings, console: Console) -> int:
    tagger = Tagger(load_topics(settings.topics))
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
    tagger = Tagger(load_topics(settings.topics))
    diff = retag(_store(settings), tagger,
                 run_id("retag", utc_now()), utc_now())
    render_diff(console, diff, f"Re-tagged {diff.articles} stored articles with ruleset {tagger.version}")
    return 0


def _topics_backtest(args, settings: Settings, console: Console) -> int:
    tagger = Tagger(load_topics(settings.topics))
    diff = retag(_store(settings), tagger, "backtest", utc_now(), apply=False)
    render_diff(console, diff, f"Ruleset {tagger.version} on {diff.articles} stored articles "
                "(nothing was changed)", samples=True)
    return 0


def _topics_check(args, settings: Settings, console: Console) -> int:
    topics = load_topics(settings.topics)
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
    return 0


def _extract(args, settings: Settings, console: Console) -> int:
    target = args.target
    if target.startswith(("http://", "https://")):
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
    extraction = extract_page(html, url, prune=load_sites(settings.sites).drop_for(url))
    if extraction is None:
        print(f"{target}: no main text found", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(vars(extraction), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
