"""Tables that read at 80 columns, in a pipe and on a terminal: keys (dates, ids, topic
names, states) are never cut, long text gives way, and rows that cannot fit become blocks."""

import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from conftest import fixed_clock
from rich.console import Console

from pipeline.core import events as ev
from pipeline.store import FileStore
from pipeline.ui.tables import print_table

TITLE = ("Paro indefinido en Puno: bloquean la vía Juliaca–Cusco y la carretera "
         "Ilave–Desaguadero por tercer día consecutivo")
ERROR = "connect: [Errno 111] Connection refused by the remote host while reading the feed"


def shown(columns, rows, width: int, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_table(console, columns, rows)
    return out.getvalue()


@pytest.mark.parametrize("terminal", [True, False])
def test_keys_stay_whole_and_text_gives_way(terminal):
    rows = [["2019-09-02", "china-acquisitions", "failing", "12", TITLE],
            ["2019-09-09", "puno-protests", "ok", "3", "Corto"]]
    out = shown(["period", "topic", "state", "articles", "title"], rows, 80, terminal)
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    for key in ("2019-09-02", "china-acquisitions", "failing", "2019-09-09", "puno-protests"):
        assert key in out
    assert TITLE not in out and "Paro indefinido en P" in out and "…" in out
    assert "Corto" in out
    # numbers aligned right: the 3 under the 2 of 12
    twelve, three = (next(line for line in lines if day in line) for day in ("09-02", "09-09"))
    assert twelve.index("12") + 1 == three.index("3 ")
    assert ("┃" in out or "│" in out) == terminal  # box drawing only on a terminal


def test_rows_too_wide_for_any_table_become_blocks_with_every_value_whole():
    ids = ["run__2026-11-28T12:00:00Z__123456", "5f1c0a9e2b7d4c31", "ArticleExtractionFailed"]
    rows = [[*ids, "https://sur-andino.example/2023/01/09/juliaca-17-muertos.html", TITLE]]
    out = shown(["run_id", "stream", "type", "url", "payload"], rows, 80, False)
    assert all(len(line) <= 80 for line in out.splitlines()[:4]), out
    for value in (*ids, rows[0][3], TITLE):
        assert value in " ".join(out.split()) or value in out
    assert " run_id: run__" in out and "payload: Paro" in out


def test_a_text_column_is_long_words_not_a_timestamp_nor_a_url():
    rows = [["2026-11-28 12:00", "https://a.example/" + "x" * 60, "short text"]]
    out = shown(["at", "url", "note"], rows, 120, False)
    assert rows[0][1] in out and "2026-11-28 12:00" in out


def newsmon(*args: str, db: str, terminal: bool) -> str:
    env = {**os.environ, "COLUMNS": "80", "NEWSMON_DB": db}
    env.pop("FORCE_COLOR", None)
    if terminal:
        env["FORCE_COLOR"] = "1"  # rich then draws as for a terminal, escape codes and all
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    store = FileStore(tmp_path_factory.mktemp("tables") / "tables.duckdb")
    at = fixed_clock()()
    events = [ev.feed_poll_failed("prensa-regional-del-sur", n, at, url="http://x/rss",
                                  error_class="connect", detail=ERROR) for n in (1, 2, 3)]
    for n, topic in enumerate(["china-acquisitions", "puno-protests"] * 3):
        article = f"art{n}"
        published = at - timedelta(days=n)
        events += [ev.article_discovered(article, "sur", at, url=f"http://x/{n}", title=TITLE,
                                         published=published.isoformat()),
                   ev.article_extracted(article, 1, at, text=TITLE, title=TITLE,
                                        published=published.isoformat()),
                   ev.topic_matched(article, topic, "v1", at, score=2.0, snippet=TITLE, terms=[])]
    store.append(events, "run__2026-11-28T12:00:00Z__123456")
    return str(store.path)


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_table_commands_at_80_columns_keep_their_keys(db, terminal):
    trends = newsmon("trends", db=db, terminal=terminal)
    for day in range(23, 29):
        assert f"2026-11-{day}" in trends
    assert "china-acquisitions" in trends and "puno-protests" in trends
    status = newsmon("status", db=db, terminal=terminal)
    assert "prensa-regional-del-sur" in status and "failing" in status
    assert "connect: [Errno 111]" in status  # the error is there, cut if need be, never gone
    events = newsmon("events", "--type", "FeedPollFailed", db=db, terminal=terminal)
    assert "run__2026-11-28T12:00:00Z__123456" in events and "FeedPollFailed" in events
    assert "prensa-regional-del-sur" in events
    sql = newsmon("sql", "SELECT topic, published, title FROM mentions ORDER BY published",
                  db=db, terminal=terminal)
    assert "china-acquisitions" in sql and "2026-11-23" in sql and "Paro indefinido" in sql
    for out in (trends, status, events, sql):
        assert ("\x1b[" in out) == terminal  # plain text in a pipe
        if terminal:  # fits the screen; in a pipe a block's value stays one line, whole
            assert all(len(line) <= 80 for line in strip_escapes(out).splitlines()), out
    if not terminal:
        assert f"last_error: connect: {ERROR}" in status


def strip_escapes(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_events_as_json_carry_the_payload_as_an_object(db):
    out = newsmon("events", "--type", "FeedPollFailed", "--format", "json", db=db, terminal=False)
    payloads = [json.loads(line)["payload"] for line in out.splitlines()]
    assert [p["detail"] for p in payloads] == [ERROR] * 3
