"""Trend views, stories, charts, the report and exports, on a log built from the demo
corpus (the slice below was checked by hand against demo/written/articles.yaml) and on
a small made-up log for spikes."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest
from conftest import CHECKOUT

from pipeline.core import events as ev
from pipeline.core.settings import Settings
from pipeline.demo.mailcatcher import free_port
from pipeline.demo.run import run_demo
from pipeline.runs.context import NoProgress
from pipeline.store import FileStore, Store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trends")
    settings = Settings(db=folder / "demo.duckdb", workers=2)
    run_demo(settings, free_port(), folder / "mail", NoProgress())
    return FileStore(settings.db)


def one(store: Store, query: str):
    return store.sql(query)[1]


def test_daily_volume_counts_articles_and_stories(demo_store):
    row = one(demo_store, "SELECT articles, stories, ingested, share, articles_7d_mean "
                          "FROM topic_daily WHERE topic = 'china-acquisitions' AND day = '2024-02-06'")
    # the Indecopi story and its wire copy: two articles, one story, all that day brought
    assert row == [(2, 1, 2, 1.0, pytest.approx(2 / 7))]
    quiet = one(demo_store, "SELECT articles, stories FROM topic_daily "
                            "WHERE topic = 'china-acquisitions' AND day = '2024-02-07'")
    assert quiet == [(0, 0)]  # quiet days are rows, not gaps
    puno = one(demo_store, "SELECT day, articles FROM topic_daily "
                           "WHERE topic = 'puno-protests' AND articles > 0 ORDER BY day")
    assert [(d.isoformat(), n) for d, n in puno] == [
        ("2023-01-09", 2), ("2023-02-09", 1), ("2023-02-27", 1), ("2023-04-27", 1),
        ("2023-05-25", 1), ("2023-12-09", 1)]


def test_weekly_outlets_cooccurrence_and_stories(demo_store):
    assert one(demo_store, "SELECT articles, stories FROM topic_weekly "
                           "WHERE topic = 'china-acquisitions' AND week = '2024-02-05'") == [(2, 1)]
    assert one(demo_store, "SELECT outlet, articles FROM topic_outlets "
                           "WHERE topic = 'puno-protests' ORDER BY outlet") == [
        ("Mundo Hoy", 3), ("Sur Andino", 4)]
    pairs = one(demo_store, "SELECT topic_a, topic_b, articles FROM topic_cooccurrence ORDER BY 1, 2")
    assert pairs == [("china-acquisitions", "iran-ties", 1), ("china-acquisitions", "puno-protests", 1),
                     ("iran-ties", "puno-protests", 1)]  # the seed commentary touches all three
    copies = one(demo_store, "SELECT articles, outlets, topics FROM stories WHERE articles > 1")
    assert copies == [(2, ["Economía Andina", "Prensa Regional"], ["china-acquisitions"])]
    explained = one(demo_store, "SELECT (payload->>'similar_to') IS NOT NULL, "
                                "(payload->>'similarity')::DOUBLE FROM events "
                                "WHERE type = 'StoryClustered' AND (payload->>'similar_to') IS NOT NULL")
    assert len(explained) == 1 and explained[0][1] >= 0.25


def test_feed_health(demo_store):
    rows = dict(one(demo_store, "SELECT feed_id, state FROM feeds"))
    assert rows["archivo-antiguo"] == "failing" and rows["sur-andino"] == "ok"
    assert one(demo_store, "SELECT articles_7d, volume_low FROM feeds WHERE feed_id = 'uol'") == [(15, False)]


def test_a_spike_is_found_against_its_own_baseline(store):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    events, n = [], 0
    for day in range(40):
        count = 8 if day == 35 else day % 2  # 0, 1, 0, 1... then 8 in one day
        for _ in range(count):
            at = start + timedelta(days=day)
            a = f"a{n}"
            n += 1
            events += [ev.article_discovered(a, "f", at, url=f"https://e.org/{a}", title=a,
                                             published=at.isoformat()),
                       ev.article_extracted(a, 1, at, title=a, text="x", published=at.isoformat()),
                       ev.topic_matched(a, "t", "v", at, score=1.0, snippet="x", terms=[])]
    store.append(events, "r")
    assert one(store, "SELECT day, articles FROM topic_spikes") == [(date(2026, 2, 5), 8)]


def newsmon(*args: str, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, cwd=cwd or CHECKOUT, timeout=120)


def test_trends_command_table_and_chart(demo_store, tmp_path):
    chart = tmp_path / "puno.png"
    result = newsmon("trends", "--db", str(demo_store.path), "--topic", "puno-protests",
                     "--chart", str(chart), "--format", "csv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "period,topic,articles,stories,share,mean_7d,mean_28d,spike"
    assert "2023-01-09,puno-protests,2,2,1.0," in result.stdout
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    weekly = newsmon("trends", "--db", str(demo_store.path), "--by", "week", "--format", "csv")
    assert weekly.returncode == 0 and "2024-02-05" in weekly.stdout


def test_sql_exports_parquet(demo_store, tmp_path):
    out = tmp_path / "daily.parquet"
    result = newsmon("sql", "--db", str(demo_store.path), "--format", "parquet", "--out", str(out),
                     "SELECT * FROM topic_daily WHERE articles > 0")
    assert result.returncode == 0, result.stderr
    import pyarrow.parquet as pq
    table = pq.read_table(out)
    assert table.num_rows == 16 and "share" in table.column_names
    assert newsmon("sql", "--db", str(demo_store.path), "--format", "parquet", "SELECT 1").returncode == 2


def test_the_report_on_a_range_ranks_stories_by_significance(demo_store, tmp_path):
    page = tmp_path / "report.html"
    result = newsmon("report", "--db", str(demo_store.path), "--out", str(page),
                     "--since", "2023-01-01", "--until", "2023-12-31")
    assert result.returncode == 0, result.stderr
    text = page.read_text()
    assert text.count("data:image/png;base64,") == 2  # volume, and share of all ingested
    assert "Matching articles per week" in text  # a year: weeks, not 365 days
    puno = text[text.index("<h2 id=\"puno-protests\">"):text.index("<h2 id=\"together\">")]
    stories = [html.unescape(t) for t in re.findall(r"<tr><td><a href=\"[^\"]+\">([^<]+)</a>", puno)]
    # all seven Puno stories of 2023, the one with most articles and outlets first, and
    # among equals the earlier: the 17 killed in Juliaca lead, the last two behind "2 more"
    assert len(stories) == 7 and stories[0].startswith("Juliaca: al menos 17 muertos")
    assert "2 more stories</summary>" in puno
    assert "Peru <span class=\"muted\">" in puno  # countries named
    assert "archivo-antiguo" in text  # the feed in trouble
    volume = list(csv.DictReader((tmp_path / "report-volume.csv").open()))
    assert {r["topic"] for r in volume} == {"china-acquisitions", "iran-ties", "puno-protests"}
    assert sum(int(r["articles"]) for r in volume if r["topic"] == "puno-protests") == 7
    assert all(date.fromisoformat(r["period"]).weekday() == 0 for r in volume)
    listed = list(csv.DictReader((tmp_path / "report-stories.csv").open()))
    assert [r["title"] for r in listed if r["topic"] == "puno-protests"] == stories


def test_a_long_list_of_stories_ends_in_the_page_and_goes_on_in_the_csv(demo_store, tmp_path,
                                                                        monkeypatch):
    from pipeline.topics.definitions import load_topics
    from pipeline.ui import report
    monkeypatch.setattr(report, "LISTED", 6)  # the seven Puno stories of 2023: one too many
    page = tmp_path / "report.html"
    report.write(demo_store, load_topics(), page, datetime(2024, 1, 2, tzinfo=timezone.utc),
                 date(2023, 1, 1), date(2023, 12, 31))
    puno = page.read_text()
    puno = puno[puno.index("<h2 id=\"puno-protests\">"):puno.index("<h2 id=\"together\">")]
    listed = re.findall(r"<tr><td><a href=\"[^\"]+\">([^<]+)</a>", puno)
    assert len(listed) == 6 and "2 more stories</summary>" in puno
    assert 'and 1 more in <a href="report-stories.csv">report-stories.csv</a>' in puno
    in_csv = [r for r in csv.DictReader((tmp_path / "report-stories.csv").open())
              if r["topic"] == "puno-protests"]
    assert [r["title"] for r in in_csv][:6] == [html.unescape(t) for t in listed] and len(in_csv) == 7


def test_the_report_of_a_quiet_month_says_where_the_matches_are(demo_store, tmp_path):
    page = tmp_path / "report.html"
    result = newsmon("report", "--db", str(demo_store.path), "--out", str(page))
    assert result.returncode == 0 and "no matching articles in that range" in result.stdout
    text = page.read_text()
    assert "The log holds matches from 2019-09-30 to 2024-11-14" in text
    # the alerts went out today, though: how soon, per topic (the failed one not counted)
    latency = text[text.index("Time to alert"):text.index('<h2 id="feeds">')]
    counts = re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">(\d+)</td>", latency)
    assert [n for _, n in counts] == ["6", "5", "7"] and "0 min" in latency


@pytest.mark.parametrize("width", [1280, 390])
def test_report_page_renders_in_a_browser(demo_store, tmp_path, width):
    page = tmp_path / "report.html"
    assert newsmon("report", "--db", str(demo_store.path), "--out", str(page),
                   "--since", "2019-01-01").returncode == 0
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("no headless Chromium here (Debian package chromium)")
    shot = tmp_path / "report.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},2400",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    from PIL import Image
    image = Image.open(shot).convert("RGB")
    assert image.size == (width, 2400)
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20) or []}
    # the bars of china-acquisitions (#c0392b at 45 % on white) are drawn
    assert any(200 < r < 240 and 150 < g < 185 and 150 < b < 185 for r, g, b in colours), "no chart bars"


def test_a_long_span_is_drawn_in_weeks_or_months():
    from pipeline.trends.buckets import regroup, unit_for
    start = date(2019, 9, 30)
    assert [unit_for(start, start + timedelta(days=n)) for n in (120, 121, 730, 731)] == [
        "day", "week", "week", "month"]
    days = [{"period": start + timedelta(days=n), "topic": "t", "articles": n % 3, "stories": 1,
             "ingested": 4, "spike": n == 40} for n in range(70)]
    weeks = regroup(days, "week")
    assert [w["period"].weekday() for w in weeks] == [0] * 10  # Mondays, 2019-09-30 is one
    assert sum(w["articles"] for w in weeks) == sum(d["articles"] for d in days)
    assert weeks[1]["articles"] == sum(d["articles"] for d in days[7:14]) and weeks[1]["share"] == \
        weeks[1]["articles"] / 28
    assert [w["spike"] for w in weeks].index(True) == 5  # day 40 is in the sixth week
    months = regroup(days, "month")
    assert [(m["period"], m["stories"]) for m in months] == [
        (date(2019, 9, 1), 1), (date(2019, 10, 1), 31), (date(2019, 11, 1), 30), (date(2019, 12, 1), 8)]


def test_search_takes_the_topic_language_and_ranks_from_an_index(demo_store, tmp_path):
    from pipeline.topics.definitions import load_topics
    from pipeline.topics.search import search
    index = tmp_path / "demo.search"
    notes: list[str] = []
    found = search(demo_store, load_topics(), "Puno NEAR/s bloque*", index, progress=notes.append)
    assert [f.title for f in found] == [
        "Tras dos días de tregua, vuelven los bloqueos en la vía Ilave–Desaguadero",
        "Gremios de Puno cumplen paro con bloqueos en Ayaviri y El Collao"]
    assert "bloquear" in found[0].snippet and found[0].topics == ["puno-protests"]
    assert found[0].rank >= found[1].rank and len(notes) == 1  # indexed once
    # NOT, aliases and the filters work as in a topic; the index is not built again
    assert [f.title for f in search(demo_store, load_topics(), "Puno NEAR/s bloque* NOT Ayaviri",
                                    index, progress=notes.append)] == [found[0].title]
    chinese = search(demo_store, load_topics(), "@chinese-state-firms", index, topic="iran-ties")
    assert [f.title for f in chinese] == [
        "South American Partners Turning Away From U.S. and Toward China, Iran"]
    assert search(demo_store, load_topics(), "Puno", index, since=date(2023, 6, 1))[0].day >= date(2023, 6, 1)
    # prominence as in a topic: the evidence in the lead, a name said at least thrice
    assert [f.title for f in search(demo_store, load_topics(), "lead:(Puno NEAR/s bloque*)", index)] == [
        found[1].title]
    puno = {f.title for f in search(demo_store, load_topics(), "Puno", index)}
    assert {f.title for f in search(demo_store, load_topics(), "ATLEAST3 Puno", index)} < puno
    assert len(notes) == 1
    # a new article makes the index stale: the next search sees it
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    copy = FileStore(tmp_path / "copy.duckdb")
    title = "Nuevo bloqueo en Puno"
    copy.append([ev.article_discovered("new", "sur", at, url="http://x/new", title=title),
                 ev.article_extracted("new", 1, at, text="Bloqueo total en Puno.", title=title)], "r")
    assert [f.title for f in search(copy, load_topics(), "Puno NEAR/s bloque*", index,
                                    progress=notes.append)] == ["Nuevo bloqueo en Puno"]
    assert len(notes) == 2


def test_search_index_follows_the_log_without_indexing_it_all_again(tmp_path):
    import duckdb

    from pipeline.topics.definitions import load_topics
    from pipeline.topics.search import search
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    store, index = FileStore(tmp_path / "s.duckdb"), tmp_path / "s.search"
    with duckdb.connect(str(index)) as old:  # an index of the earlier layout
        old.execute("CREATE TABLE meta (signature VARCHAR)")
    notes: list[str] = []

    def found(query, where=index, **filters):
        return [(f.article_id, f.topics) for f in search(store, load_topics(), query, where,
                                                         progress=notes.append, **filters)]

    def article(n, text):
        return [ev.article_discovered(f"a{n}", "sur", at, url=f"http://x/{n}", title=f"t{n}"),
                ev.article_extracted(f"a{n}", 1, at, text=text, title=f"t{n}")]

    store.append(article(1, "Bloqueo total en Puno.") + article(2, "Lluvias en Lima."), "r")
    assert found("Puno NEAR/s bloque*") == [("a1", [])] and len(notes) == 1
    # an article added, one extracted again, one matched: the next search sees each,
    # without indexing the store again
    store.append(article(3, "Nuevo bloqueo de vías en Puno.") + [
        ev.article_extracted("a1", 2, at, text="Lluvias en Puno.", title="t1"),
        ev.topic_matched("a2", "puno-protests", "v1", at, score=1.0, snippet="s", terms=[])], "r")
    assert found("Puno NEAR/s bloque*") == [("a3", [])]
    assert found("lluvia*", topic="puno-protests") == [("a2", ["puno-protests"])]
    store.append([ev.topic_unmatched("a2", "puno-protests", "v2", at)], "r")
    assert found("lluvia*", topic="puno-protests") == []
    assert len(notes) == 1
    with duckdb.connect(str(index)) as con:
        assert con.execute("FROM duckdb_tables() WHERE table_name = 'meta'").fetchall() == []
        # each word's count of articles, kept as changes, is the count its postings give
        counted = "SELECT term, count(*) FROM postings GROUP BY term ORDER BY term"
        kept = "SELECT term, sum(docs) FROM terms GROUP BY term HAVING sum(docs) > 0 ORDER BY term"
        assert con.execute(kept).fetchall() == con.execute(counted).fetchall()
        assert ("puno", 2) in con.execute(counted).fetchall()  # a1 after its new text, a3
    # what an index made from nothing answers, ranks included
    for query in ("Puno", "lluvia*", "bloqueo OR Lima"):
        kept = search(store, load_topics(), query, index)
        fresh = search(store, load_topics(), query, tmp_path / "fresh.search")
        assert [f.article_id for f in kept] == [f.article_id for f in fresh]
        assert [f.rank for f in kept] == pytest.approx([f.rank for f in fresh])


def test_search_on_an_unchanged_store_file_answers_from_the_index_alone(tmp_path):
    from pipeline.store.errors import StoreBusy
    from pipeline.topics.definitions import load_topics
    from pipeline.topics.search import search
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    store, index = FileStore(tmp_path / "s.duckdb", lock_wait=0.3), tmp_path / "s.search"
    store.append([ev.article_discovered("a1", "sur", at, url="http://x/1", title="t1"),
                  ev.article_extracted("a1", 1, at, text="Bloqueo total en Puno.", title="t1")], "r")

    def age(seconds):  # as if the store had last changed `seconds` ago
        for path in (store.path, store.path.with_name(store.path.name + ".wal")):
            if path.exists():
                os.utime(path, (time.time() - seconds, time.time() - seconds))

    age(60)
    assert [f.article_id for f in search(store, load_topics(), "Puno", index)] == ["a1"]
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               "con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "time.sleep(60)", str(store.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout and holder.stdout.readline() == "held\n"
        # another process writes to the store: a search of an unchanged file needs no lock
        assert [f.article_id for f in search(store, load_topics(), "Puno", index)] == ["a1"]
        age(30)  # the file changed since: the store must be read, and it is locked
        with pytest.raises(StoreBusy):
            search(store, load_topics(), "Puno", index)
    finally:
        holder.kill()
        holder.wait()


def test_search_from_the_command_line(demo_store):
    result = newsmon("search", "--db", str(demo_store.path), "Juliaca NEAR/s muert*", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["title"].startswith("Juliaca: al menos 17 muertos")
    bad = newsmon("search", "--db", str(demo_store.path), "Puno AND (")
    assert bad.returncode == 2 and bad.stderr.startswith("error: not a query:")


@pytest.mark.parametrize("text, named", [
    ("Protestas en Lima y Quito", ["Ecuador", "Peru"]),
    ("El clima cambia; los mosquitos llegan a Chinatown", []),  # words inside other words
    ("Irán y la RPC: Teherán, Pekín", ["China", "Iran"]),
    ("Perú China", ["China", "Peru"]),  # one space between two names
    ("peruvian and Chilean firms, EE.UU.", ["Chile", "Peru", "United States"]),
    ("Santiago de Chile, La Habana", ["Chile", "Cuba"]),  # names of more than one word
])
def test_the_report_names_a_country_by_whole_words_only(text, named):
    from pipeline.trends.countries import named_in
    found = duckdb.connect().execute(f"SELECT {named_in('$text')}", {"text": text}).fetchone()[0]
    assert found == named


def test_countries_in_one_pass_are_those_a_pattern_per_country_finds(shared):
    # every labelled passage and every article body of the corpus, against a pattern per
    # country (the regex module knows \pL, as RE2 does)
    import json

    import regex

    from pipeline.trends.countries import _NAMES, named_in
    texts = [json.loads(line)["text"] for name in ("dev.jsonl", "dev2.jsonl")
             for line in (shared / "tagging" / name).open(encoding="utf-8")]
    bodies = json.loads((shared / "articles/zyte-aeb/ground-truth.json").read_text(encoding="utf-8"))
    texts += [b["articleBody"] for b in bodies.values()]
    assert len(texts) == 207 + 181
    found = duckdb.connect().execute(f"SELECT {named_in('t')} FROM unnest($texts) AS u(t)",
                                     {"texts": texts}).fetchall()
    patterns = {name: regex.compile(rf"(?i)(^|[^\pL])(?:{words})([^\pL]|$)")
                for name, words in _NAMES.items()}
    expected = [sorted(name for name, p in patterns.items() if p.search(text)) for text in texts]
    assert [row[0] for row in found] == expected
    assert sum(map(bool, expected)) > len(texts) / 3  # the corpus names countries


def test_search_ranks_only_the_articles_that_can_match(tmp_path):
    """Articles rich in one side of `a NEAR b` that lack the other cannot match: ranked,
    they filled the candidates (40 for each result asked) and kept out the article that
    does, however many of them there were."""
    from pipeline.topics.definitions import load_topics
    from pipeline.topics.search import search
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    texts = [f"China, Pekín y Beijing: el gigante chino y la empresa china. Nota {n}." for n in range(60)]
    texts += [f"La empresa compró y adquirió acciones; la compra. Nota {n}." for n in range(60)]
    texts += ["Una empresa china compró el puerto de Chancay."]
    store, index = FileStore(tmp_path / "s.duckdb"), tmp_path / "s.search"
    store.append([e for n, text in enumerate(texts) for e in (
        ev.article_discovered(f"a{n}", "sur", at, url=f"http://x/{n}", title="t"),
        ev.article_extracted(f"a{n}", 1, at, text=text, title="t"))], "r")
    topics = load_topics()

    def found(query, limit):
        return [f.article_id for f in search(store, topics, query, index, limit=limit)]

    assert found("@chinese-buyer NEAR/s1 @acquisition", 1) == ["a120"]
    assert found("@chinese-buyer NEAR/s1 @acquisition", 5) == ["a120"]
    assert found("(china OR pekin) AND compr*", 1) == ["a120"]
    # a word no article holds, needed: none can match; under OR or NOT, no need
    assert found("china AND zzz", 5) == []
    assert len(found("china OR zzz", 100)) == 61
    assert sorted(found("compr* NOT china", 100)) == sorted(f"a{n}" for n in range(60, 120))
    # a NOT NEAR's right side is a NOT's: an article need not hold it
    assert found("compr* NOT NEAR/3 zzz", 200) == found("compr*", 200) != []
    assert sorted(found("compr* NOT NEAR/s china", 100)) == sorted(f"a{n}" for n in range(60, 120))


def test_search_reads_further_down_the_ranking_while_the_matcher_turns_articles_down(
        tmp_path, monkeypatch):
    """Articles that hold both sides of `a NEAR b`, too far apart, rank above the one
    that matches: the search reads on until it is found, up to READ_AT_MOST articles,
    and says so when it stops there."""
    from pipeline.topics import search as searching
    from pipeline.topics.definitions import load_topics
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    texts = [f"China, Pekín y el gigante chino. Uno. Dos. Tres. La empresa compró acciones. Nota {n}."
             for n in range(100)]
    texts += ["Una empresa china compró el puerto de Chancay."]
    store, index = FileStore(tmp_path / "s.duckdb"), tmp_path / "s.search"
    store.append([e for n, text in enumerate(texts) for e in (
        ev.article_discovered(f"a{n}", "sur", at, url=f"http://x/{n}", title="t"),
        ev.article_extracted(f"a{n}", 1, at, text=text, title="t"))], "r")
    notes: list[str] = []

    def found(limit):
        return [f.article_id for f in searching.search(
            store, load_topics(), "@chinese-buyer NEAR/s1 @acquisition", index, limit=limit,
            progress=notes.append)]

    assert found(1) == ["a100"] and found(3) == ["a100"]
    assert notes == ["indexing the stored articles for search (once; later searches add only what changed)"]
    monkeypatch.setattr(searching, "READ_AT_MOST", 60)
    assert found(1) == []
    assert "read the 60 best ranked articles" in notes[-1]


def test_search_finds_a_title_by_the_words_of_titles(tmp_path, monkeypatch):
    """`title:(...)` looks up the titles' words, which the index keeps apart: the
    articles that say Puno in their text only are not ranked for it."""
    from pipeline.topics import search as searching
    from pipeline.topics.definitions import load_topics
    monkeypatch.setattr(searching, "READ_AT_MOST", 60)  # what the text's Puno would fill
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    articles = [(f"Nota {n}", "Puno, Puno y Puno: bloqueos en Puno.") for n in range(100)]
    articles += [("Paro y bloqueos en Puno", "Los gremios anunciaron una medida de fuerza.")]
    store, index = FileStore(tmp_path / "s.duckdb"), tmp_path / "s.search"
    store.append([e for n, (title, text) in enumerate(articles) for e in (
        ev.article_discovered(f"a{n}", "sur", at, url=f"http://x/{n}", title=title),
        ev.article_extracted(f"a{n}", 1, at, text=text, title=title))], "r")

    def found(query, limit=1):
        return [f.article_id for f in searching.search(store, load_topics(), query, index, limit=limit)]

    assert found("title:(Puno)") == ["a100"]
    assert found("title:(bloque*) AND gremios") == ["a100"]
    assert found("title:(Puno) OR gremios", 5) == ["a100"]
    assert len(found("Puno", 200)) == 101
    assert sorted(found("text:(Puno)", 200)) == sorted(f"a{n}" for n in range(100))


def test_a_prefix_inside_another_counts_each_word_once(tmp_path):
    """`bloque*` and `bloqueo*` in one query (as alias sets hold `adquir*` and
    `adquiri*`): each word's count of articles is the count its postings give."""
    from pipeline.topics.search import _expand, _index
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    texts = ["Bloqueo en Puno.", "Bloqueos y bloqueo.", "Bloquean la vía.", "Lluvias."]
    store = FileStore(tmp_path / "s.duckdb")
    store.append([e for n, text in enumerate(texts) for e in (
        ev.article_discovered(f"a{n}", "sur", at, url=f"http://x/{n}", title="t"),
        ev.article_extracted(f"a{n}", 1, at, text=text, title="t"))], "r")
    with _index(store, tmp_path / "s.search", lambda _: None) as (con, docs, avg):
        counts, words = _expand(con, {"bloque", "bloqueo"})
        assert counts == {"bloqueo": 2, "bloqueos": 1, "bloquean": 1}
        assert words == {"bloque": {"bloqueo", "bloqueos", "bloquean"}, "bloqueo": {"bloqueo", "bloqueos"}}
        assert _expand(con, {"bloq", "bloque"})[0] == {"bloqueo": 2, "bloqueos": 1, "bloquean": 1}


def test_search_ranks_as_bm25_worked_out_here(tmp_path):
    """The ranking, of one word (its rows taken as they are) and of several (an
    article's rows summed), gives the articles and ranks BM25 gives, worked out in
    Python from the index's postings."""
    import math
    import random

    from pipeline.topics.search import _index, _rank
    rng = random.Random(7)
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    vocabulary = ["puno", "bloqueo", "china", "puerto", "lima", "paro", "mina", "agua"]
    events = []
    for n in range(400):
        words = rng.choices(vocabulary + ["otra"] * 12, k=rng.randint(5, 60))
        events += [ev.article_discovered(f"a{n}", "sur", at, url=f"http://x/{n}", title="t"),
                   ev.article_extracted(f"a{n}", 1, at, text=" ".join(words), title="t")]
    store = FileStore(tmp_path / "s.duckdb")
    store.append(events, "r")
    with _index(store, tmp_path / "s.search", lambda _: None) as (con, docs, avg):
        postings = con.execute("SELECT term, doc, tf, length FROM postings").fetchall()
        held = {t: n for t, n in con.execute("SELECT term, count(*) FROM postings GROUP BY term").fetchall()}
        for words in (["puno"], ["otra"], ["puno", "bloqueo"], ["china", "puerto", "mina"],
                      ["puno", "china", "lima", "paro", "agua"]):
            counts = {w: held[w] for w in words}
            for candidates in (5, 40, 400):
                ranked = _rank(con, counts, docs, "true", True,
                               {"avg": avg, "candidates": candidates, "skip": 0})
                scores: dict[int, float] = {}
                for term, doc, tf, length in postings:
                    if term in counts:
                        idf = math.log((docs - counts[term] + 0.5) / (counts[term] + 0.5) + 1)
                        scores[doc] = scores.get(doc, 0) + idf * tf * 2.2 / (
                            tf + 1.2 * (0.25 + 0.75 * length / avg))
                best = sorted(scores.items(), key=lambda item: (-round(item[1], 9), item[0]))[:candidates]
                assert [round(r, 9) for _, r in ranked] == [round(r, 9) for _, r in best]
                last = round(best[-1][1], 9)  # ties at the end: either may be cut off
                assert ({d for d, r in ranked if round(r, 9) > last}
                        == {d for d, r in best if round(r, 9) > last})
