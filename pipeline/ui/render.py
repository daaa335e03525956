"""How results look in a terminal: summaries, tables and progress bars (rich)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, Iterable, Sequence

from rich.console import Console
from rich.text import Text

from pipeline.core import events as ev
from pipeline.core.text import day_shown, visible
from pipeline.ingest.schedule import SCHEDULED
from pipeline.ui.tables import cells, emit, framed, print_table

if TYPE_CHECKING:  # types only: importing them costs every command a quarter second
    from pipeline.runs.context import Report
    from pipeline.topics.retag import Diff
    from pipeline.topics.scoring import TopicScore
    from pipeline.topics.tagging import Tagger

_STAGES = {"poll": "Polling feeds", "process": "Fetching, extracting, tagging",
           "recheck": "Checking matched articles again",
           "reextract": "Extracting again from the archive"}


class RichProgress:
    """The cycle's progress as rich progress bars; use as a context manager."""

    def __init__(self, console: Console, enabled: bool = True):
        # imported here: the commands that show no progress (status, sql) skip its 8 ms
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self._bars = Progress(TextColumn("{task.description:<32}"), BarColumn(),
                              MofNCompleteColumn(), TimeElapsedColumn(),
                              console=console, disable=not enabled, transient=False)
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> "RichProgress":
        self._bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bars.stop()

    def start(self, stage: str, total: int) -> None:
        self._tasks[stage] = self._bars.add_task(_STAGES.get(stage, stage), total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        self._bars.advance(self._tasks[stage], n)


def summary(console: Console, report: Report, title: str = "Run summary") -> None:
    a = report.appended
    table = framed(console, title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("feeds polled", str(report.feeds_polled))
    table.add_row("  failed", str(a[ev.FEED_POLL_FAILED]))
    table.add_row("articles discovered (new)", str(a[ev.ARTICLE_DISCOVERED]))
    table.add_row("articles fetched", str(a[ev.ARTICLE_FETCHED]))
    table.add_row("  fetch failed", str(a[ev.ARTICLE_FETCH_FAILED]))
    table.add_row("articles extracted", str(a[ev.ARTICLE_EXTRACTED]))
    table.add_row("  no text / extraction failed", str(a[ev.ARTICLE_EXTRACTION_FAILED]))
    for topic, n in sorted(report.matches.items()):
        table.add_row(f"matches: {topic}", str(n))
    if not report.matches:
        table.add_row("matches", "0")
    table.add_row("stories (copies folded in)",
                  f"{a[ev.STORY_CLUSTERED] - report.copies} ({report.copies})")
    rechecked = a[ev.ARTICLE_RECHECKED] + a[ev.ARTICLE_REVISED] + a[ev.ARTICLE_REMOVED]
    if rechecked:
        table.add_row("matched articles checked again", str(rechecked))
        table.add_row("  revised / taken down", f"{a[ev.ARTICLE_REVISED]} / {a[ev.ARTICLE_REMOVED]}")
    table.add_row("alerts sent", str(a[ev.ALERT_SENT]))
    if a[ev.ALERT_FAILED]:
        table.add_row("  alerts failed", str(a[ev.ALERT_FAILED]))
    emit(console, table)
    if report.errors:
        print_table(console, ["event", "error class", "count"],
                    [[t, c, str(n)] for (t, c), n in sorted(report.errors.items())],
                    "Errors (recorded as events, the run went on)")
    feeds_in_trouble(console, report)
    for note in report.notes:
        console.print(Text.assemble(("note:", "yellow"), f" {visible(note)}"), soft_wrap=True)


NAMED = 8  # feeds named in a group; the rest are counted (the feeds view lists them all)


def feeds_in_trouble(console: Console, report: Report) -> None:
    """The feeds that failed, and those left waiting, grouped by why: a run over 300
    feeds with the network down is a few lines, not 300."""
    for error_class, failed in sorted(report.failed_feeds.items(), key=lambda kv: -len(kv[1])):
        feed, detail = failed[0]
        console.print(Text.assemble(
            ("feeds failed:", "red"), f" {len(failed)} with {error_class}: {_named(f for f, _ in failed)}"
            f" (e.g. {feed}: {visible(detail)[:200]})"), soft_wrap=True)
    groups: dict[str, list] = {}
    for wait in report.waiting:
        groups.setdefault(wait.kind or wait.reason, []).append(wait)
    for kind, waits in groups.items():
        first = min(w.until for w in waits)
        if kind == SCHEDULED:  # no trouble: polled recently enough for how often they publish
            console.print(f"{len(waits)} feeds {kind}; the next is due {first:%Y-%m-%d %H:%M} UTC",
                          style="dim", highlight=False)
            continue
        console.print(Text.assemble(
            ("feeds waiting:", "yellow"), f" {len(waits)} {kind}, not polled this run: "
            f"{_named(w.feed_id for w in waits)}; the first is due {first:%Y-%m-%d %H:%M} UTC"),
            soft_wrap=True)


def _named(feeds: Iterable[str]) -> str:
    feeds = sorted(set(feeds))
    more = f" and {len(feeds) - NAMED} more" if len(feeds) > NAMED else ""
    return ", ".join(visible(f) for f in feeds[:NAMED]) + more


def top_matches(console: Console, rows: list[dict]) -> None:
    if not rows:
        console.print("No matches yet.")
        return
    table = framed(console, "Top matches", show_lines=True)
    table.add_column("topic", no_wrap=True)  # a key: never cut
    for name in ("article", "snippet"):
        table.add_column(name, overflow="fold")
    for row in rows:
        when = day_shown(row["published"], row["date_source"])
        article = Text.assemble((visible(row["title"] or "(no title)"), "bold"),
                                f"\n{visible(row['site'] or row['feed_id'])} · {when}")
        table.add_row(visible(row["topic"]), article, visible(row["snippet"] or ""))
    emit(console, table)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(_plain(value))


def write_rows(fmt: str, columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]],
               file: IO[str]) -> int:
    """Write rows as CSV or JSON lines, a batch at a time; returns how many. On a
    terminal, control characters in the data are shown, not obeyed."""
    shown = visible if file.isatty() else (lambda text: text)
    count = 0
    writer = csv.writer(file) if fmt == "csv" else None
    if writer:
        writer.writerow(columns)
    for batch in batches:
        if writer:
            out = io.StringIO()
            csv.writer(out).writerows([[_plain(v) for v in row] for row in batch])
            file.write(shown(out.getvalue()))
        else:  # JSON escapes control characters itself
            file.write("".join(json.dumps({c: _plain(v) for c, v in zip(columns, row)},
                                          ensure_ascii=False, default=str) + "\n"
                               for row in batch))
        count += len(batch)
    return count


def rows_as(fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], console: Console,
            title: str | None = None) -> None:
    """Print rows as a table, CSV or JSON lines."""
    if fmt in ("csv", "json"):
        write_rows(fmt, columns, [rows], console.file)
    else:
        print_table(console, columns, cells(rows, lambda v: visible(_cell(v))), title)
        console.print(f"{len(rows)} row{'' if len(rows) == 1 else 's'}", style="dim")


def render_diff(console: Console, diff: Diff, title: str, samples: bool = False) -> None:
    table = framed(console, title)
    for name in ("topic", "added", "dropped", "unchanged"):
        table.add_column(name, justify="left" if name == "topic" else "right")
    for topic in sorted(set(diff.added) | set(diff.dropped) | set(diff.kept)):
        table.add_row(topic, str(diff.added[topic]), str(diff.dropped[topic]), str(diff.kept[topic]))
    emit(console, table)
    if samples:
        for (kind, topic), titles in sorted(diff.samples.items()):
            console.print(Text.assemble((f"{kind} · {visible(topic)}", "bold"), " (up to 5)"))
            for title in titles:
                console.print(f"  - {visible(title)}", highlight=False)


def render_scores(console: Console, scores: dict[str, TopicScore], items: dict[str, dict],
                  tagger: Tagger) -> None:
    table = framed(console, f"Ruleset {tagger.version} on {len(items)} labelled texts")
    for name in ("topic", "precision", "recall", "F1", "false +", "false -"):
        table.add_column(name, justify="left" if name == "topic" else "right")
    for topic, s in scores.items():
        table.add_row(topic, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                      str(len(s.false_positives)), str(len(s.false_negatives)))
    from pipeline.topics.scoring import macro_f1
    table.add_row("macro", "", "", f"{macro_f1(scores):.3f}", "", "", style="bold")
    emit(console, table)
    from pipeline.topics.tagging import why_missed
    kinds: dict[tuple[str, str], list[str]] = {}
    for topic, s in scores.items():
        for kind, ids in (("false match", s.false_positives), ("missed", s.false_negatives)):
            for item_id in ids:
                item = items[item_id]
                console.print(Text.assemble((kind, "bold"), f" · {topic} · {visible(item_id)}: "
                                            f"{visible((item.get('text') or '')[:160])}…"),
                              highlight=False)
                if kind == "false match":
                    match = next(m for m in tagger.tag(item["text"], item.get("title") or "")
                                 if m.topic == topic)
                    found = ", ".join(sorted({h.found for h in match.hits}))
                    console.print(f"  matched: {visible(found)} in \"{visible(match.snippet[:160])}\"",
                                  highlight=False)
                else:
                    reason = why_missed(tagger, topic, item["text"], item.get("title") or "")
                    kinds.setdefault((topic, reason), []).append(item_id)
                    console.print(f"  {visible(reason)}", highlight=False)
    if kinds:
        rows_as("table", ["topic", "missed for", "texts", "ids"],
                [(topic, reason, len(ids), ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else ""))
                 for (topic, reason), ids in sorted(kinds.items(), key=lambda kv: (kv[0][0], -len(kv[1])))],
                console, title="Misses by kind (`newsmon topics explain TOPIC --text ...` shows one)")
