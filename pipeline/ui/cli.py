"""The `newsmon` command: reads the arguments, then hands them, the environment and the
clock to what each command does (commands.py)."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from pathlib import Path

from rich.console import Console
from rich.text import Text

from pipeline.demo import DEMO_MAIL, DEMO_PORT
from pipeline.ui.arguments import CommandError, Parser, count, day, output_file, output_folder

DESCRIPTION = """newsmon follows news feeds for a few tracked topics: it polls RSS and Atom feeds,
fetches and extracts each new article, tags the topics it mentions, records every fact in an
append-only event log (DuckDB) and emails alerts on new matches. Start with `newsmon demo`,
which runs it all offline on a bundled sample; `newsmon COMMAND -h` explains each command."""


# the commands that extract pages
EXTRACTING = {"_run", "_watch", "_serve", "_process", "_recheck", "_demo"}


def entry() -> None:
    """The `newsmon` command as a process of its own (the console script, `python -m
    pipeline`): `main`, then out at once. The interpreter's own teardown, which frees
    every object of every module one by one (DuckDB, numpy, pyarrow, the extraction
    libraries), took 0.15 s after an hourly run had finished, 2% of it, and its
    caller waited for that. The exit handlers run first (logging's, multiprocessing's,
    which stops the workers' fork server); every file and database is closed by then.
    With a thread still running, the interpreter's exit is left to wait for it."""
    code = main()
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except (OSError, ValueError):  # a closed pipe (`| head`): reported as ever
        sys.exit(code)
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in EXTRACTING and not getattr(args, "serve", False) \
            and len(os.sched_getaffinity(0)) > 1:
        # the workers' fork server loads the extraction libraries (2-3 s) on another
        # core while this process imports and reads what the command needs (on one
        # core, it would only slow those down: the cycle starts it, as it always does)
        from pipeline.extract.forkserver import warm_up_workers
        warm_up_workers()
    # imported once the arguments are read: `newsmon -h` and a mistyped option answer at once
    from pipeline.core.errors import ConfigError
    from pipeline.core.settings import from_env
    from pipeline.demo import DemoError
    from pipeline.store import StoreError
    from pipeline.ui import commands

    # no markup: every message here may quote data ("[/]" in a title, a path)
    console = Console(stderr=False, soft_wrap=False, markup=False)
    errors = Console(stderr=True, markup=False)
    try:
        settings = from_env().with_(db=args.db, feeds=getattr(args, "feeds", None),
                                    topics=getattr(args, "topics", None),
                                    alerts=getattr(args, "alerts", None),
                                    sites=getattr(args, "sites", None))
        return getattr(commands, args.command)(args, settings, console) or 0
    except (ConfigError, StoreError, CommandError, DemoError) as error:
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
    common.add_argument("--db", type=str,
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

    parser = Parser(prog="newsmon", description=DESCRIPTION)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, func: str, help: str, parents=(common,)) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=list(parents))
        p.set_defaults(command=func)
        return p

    p = command("demo", "_demo", "run the whole pipeline offline on the bundled sample corpus",
                (common, configs))
    p.add_argument("--port", type=int, default=DEMO_PORT,
                   help=f"loopback port of the demo site (default {DEMO_PORT}; keep it the same "
                        "across runs)")
    p.add_argument("--mail-dir", type=Path, default=DEMO_MAIL,
                   help=f"where caught alert emails go (default ./{DEMO_MAIL})")
    p.add_argument("--serve", action="store_true",
                   help="only serve the demo site and catch mail, until Ctrl-C, and say which "
                   "settings point a run at them (to run the Airflow DAGs on the demo corpus)")
    command("run", "_run", "one full cycle on the configured feeds: poll, fetch, extract, tag, alert",
            (common, configs))
    p = command("serve", "_serve", "take WebSub pushes: subscribe to the hubs the feeds name and "
                "record what they push as polls, then fetch, tag and alert", (common, configs))
    p.add_argument("--listen", default="127.0.0.1:8700", metavar="HOST:PORT",
                   help="where to answer hubs (default 127.0.0.1:8700)")
    p.add_argument("--public-url", metavar="URL",
                   help="how hubs reach this server (default http://HOST:PORT); callbacks are "
                   "URL/websub/<feed id>")
    p = command("watch", "_watch", "run continuously: a cycle every minute, each feed polled at "
                "its own pace, immediate alerts as matches come; Ctrl-C stops after the cycle",
                (common, configs))
    p.add_argument("--every", type=count, default=60, metavar="SECONDS",
                   help="seconds from the start of one cycle to the next (default 60)")
    p.add_argument("--cycles", type=count, help="stop after this many cycles (default: until stopped)")
    command("poll", "_poll", "poll the configured feeds and record what they list",
            (common, configs))
    command("process", "_process", "fetch, extract and tag the articles not fetched yet",
            (common, configs))
    command("recheck", "_recheck", "fetch again the matched articles due for it (NEWSMON_RECHECK) "
            "and record those revised or taken down", (common, configs))
    p = command("alert", "_alert", "send the alerts that are due (or only write them out, with "
                "--preview)", (common, configs))
    p.add_argument("--preview", type=output_folder, metavar="DIR",
                   help="write the message each recipient would get now, as .eml and .html, "
                   "and send nothing")
    p.add_argument("--retry-failed", action="store_true",
                   help="send again the alerts that failed for good (see `newsmon status`), once "
                   "their cause is fixed: a password, TLS, a recipient's address")
    command("status", "_status", "recent runs, the alert outbox, failed alerts, feeds in trouble",
            (common, configs))
    command("rebuild", "_rebuild", "drop the read models (what the views read) and build them "
            "again from the event log", (common,))
    p = command("copy-log", "_copy_log", "copy the events the target log lacks into it, in order "
                "(a DuckDB file to DuckLake, or back); safe to run again", (common,))
    p.add_argument("--to", type=str, required=True,
                   help="the target: a file, ducklake:postgres:<libpq string> or "
                   "ducklake:<catalog file>")
    p.add_argument("--to-lake-data", help="the target's DuckLake data path "
                   "(default: NEWSMON_LAKE_DATA)")
    p = command("sql", "_sql", "read-only SQL on the event log and its views", (common,))
    p.add_argument("query")
    p.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    p.add_argument("--out", type=output_file, help="write to this file (needed for parquet)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds before the query is stopped (default 30; a commit waits for it)")
    p = command("events", "_events", "show the latest events of the log", (common, fmt))
    p.add_argument("--type", help="only events of this type, e.g. TopicMatched")
    p.add_argument("--stream", help="only events of this stream, e.g. feed:andina")
    p.add_argument("--tail", type=count, default=20, help="how many (default 20)")
    p = command("show", "_show", "one article: what the log holds about it, its text, and the page "
                "as it was fetched (from the WARC archive)", (common,))
    p.add_argument("article_id", help="an article id (the articles view, `newsmon events`)")
    p.add_argument("--page", type=output_file, metavar="FILE",
                   help="write the archived page (the body as it was read) to this file")
    p = command("trends", "_trends", "matching articles and stories per topic per day or week, "
                "with their share of all articles, rolling means and spikes", (common, fmt))
    p.add_argument("--by", choices=("day", "week"), default="day")
    p.add_argument("--topic", help="one topic only")
    p.add_argument("--since", type=day, help="first day, YYYY-MM-DD")
    p.add_argument("--chart", type=output_file, help="also draw the trend into this PNG file")
    p = command("report", "_report", "one HTML page on a date range: volume and share per topic, "
                "spikes and the story behind each, top stories, outlets, countries, feeds in "
                "trouble; with CSV files of what it shows", (common, configs))
    p.add_argument("--out", type=output_file, default=Path("newsmon-report.html"))
    p.add_argument("--since", type=day,
                   help="first day, YYYY-MM-DD (default: 30 days before --until)")
    p.add_argument("--until", type=day, help="last day, YYYY-MM-DD (default: today)")
    p = command("search", "_search", "the stored articles a query in the topic language finds "
                "(e.g. 'Puno NEAR/s bloque*'), best ranked first, with the sentence that matched",
                (common, fmt))
    p.add_argument("query")
    p.add_argument("--since", type=day, help="only articles of this day or later, YYYY-MM-DD")
    p.add_argument("--topic", help="only articles that match this topic")
    p.add_argument("--limit", type=count, default=20, help="how many (default 20)")
    p.add_argument("--topics", type=Path, help="topics file whose @aliases the query may use "
                   "(default: bundled config/topics.yaml)")
    p = command("tag", "_tag", "JSON lines on stdin (text, title, lang, id) to the same lines with "
                "topics and matches added")
    p.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    p = command("retag", "_retag", "replay stored articles through the current topic rules",
                (common,))
    p.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    p = command("reextract", "_reextract", "extract the stored articles again from the pages the "
                "archive kept (after extraction improved), recording what changed; fetches nothing",
                (common, configs))
    p.add_argument("--dry-run", action="store_true", help="say what would change; record nothing")
    feeds = sub.add_parser("feeds", help="feeds in and out as OPML, the list feed readers "
                           "import and export; a site's feeds found")
    feed_commands = feeds.add_subparsers(required=True, metavar="ACTION")
    p = feed_commands.add_parser("import", parents=[common, configs], help="add the feeds of an OPML file "
                                 "that the feeds file lacks, at its end (its comments and ids stay)")
    p.set_defaults(command="_feeds_import")
    p.add_argument("file", type=Path)
    p = feed_commands.add_parser("export", parents=[common, configs], help="the feeds file as OPML 2.0, "
                                 "a folder per country")
    p.set_defaults(command="_feeds_export")
    p.add_argument("--out", type=output_file, help="write to this file (default: standard output)")
    p = feed_commands.add_parser("discover", parents=[common, configs], help="the feeds and news sitemaps "
                                 "of a site, from one of its pages")
    p.set_defaults(command="_feeds_discover")
    p.add_argument("url", help="a page of the site (its home page, a section), or a feed")
    p.add_argument("--add", action="store_true", help="add the feeds found that the feeds file lacks")
    kept = sub.add_parser("archive", help="the pages the archive kept, exported")
    archive_commands = kept.add_subparsers(required=True, metavar="ACTION")
    p = archive_commands.add_parser("export", parents=[common, configs], help="the kept pages (first "
                                    "fetches and revisions) of the articles selected, as one WARC "
                                    "file or a WACZ package")
    p.set_defaults(command="_archive_export")
    p.add_argument("--out", type=output_file, required=True,
                   help="FILE.warc.gz, or FILE.wacz (a package replay tools open as it is)")
    p.add_argument("--topic", help="only articles that match this topic now")
    p.add_argument("--since", type=day, help="only articles of this day or later, YYYY-MM-DD")
    p.add_argument("--until", type=day, help="only articles of this day or earlier, YYYY-MM-DD")
    p.add_argument("--articles", metavar="SQL", help="only the articles this read-only query names "
                   "(its first column: article ids), e.g. \"SELECT article_id FROM revisions\"")
    topics = sub.add_parser("topics", help="check topic rules against labelled texts, or "
                            "backtest them on the stored articles")
    topic_commands = topics.add_subparsers(required=True, metavar="ACTION")
    p = topic_commands.add_parser("check", parents=[common], help="precision, recall and F1 per "
                                  "topic on labelled JSON lines (text, topics, id, title)")
    p.set_defaults(command="_topics_check")
    p.add_argument("file", type=Path)
    p.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    p.add_argument("--by", metavar="FIELD", help="also score the texts grouped by this field of "
                   "theirs, e.g. lang or group (the story)")
    p = topic_commands.add_parser("explain", parents=[common], help="which parts of a topic's "
                                  "query find evidence in a text, and which do not: why it "
                                  "matched, or did not")
    p.set_defaults(command="_topics_explain")
    p.add_argument("topic")
    p.add_argument("--text", help="the text (default: read from stdin)")
    p.add_argument("--title", default="", help="its title, if any")
    p.add_argument("--topics", type=Path, help="topics file (default: bundled config/topics.yaml)")
    p = topic_commands.add_parser("backtest", parents=[common], help="what the rules in --topics "
                                  "would add and drop among the stored articles; changes nothing")
    p.set_defaults(command="_topics_backtest")
    p.add_argument("--topics", type=Path, help="the rules to try (default: bundled config/topics.yaml)")
    p = command("extract", "_extract", "one page (file or URL) to JSON: title, text, date, language...",
                (common,))
    p.add_argument("target", help="an HTML file (may be gzipped), an http(s) URL, or with "
                   "--from-archive an article id")
    p.add_argument("--from-archive", action="store_true",
                   help="extract the page the archive kept when the article was fetched, not fetch it")
    p.add_argument("--url", help="the page's own URL, when TARGET is a file (picks its site rules)")
    p.add_argument("--sites", type=Path,
                   help="per-outlet extraction rules (default: bundled config/sites.yaml)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
