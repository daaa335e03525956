"""The `newsmon` command as a user runs it: a real process, real files."""

import csv
import io
import json
import re
import subprocess
import sys

import pytest
from conftest import DEMO_SITE, fixed_clock

from pipeline.core import events as ev
from pipeline.store import FileStore


def newsmon(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], input=stdin,
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "COLUMNS": "200", **(env or {})})


def test_tag_adds_topics_and_matches_to_each_line():
    lines = [{"id": 1, "text": "Bloquean la vía Ilave–Desaguadero en Puno por el paro", "lang": "es"},
             {"id": "b", "title": "Raisi in Caracas", "text": "Iran signs deals with Venezuela."},
             {"id": 3, "text": "Weather in Lima is mild."}]
    result = newsmon("tag", stdin="\n".join(json.dumps(x) for x in lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [{k: o[k] for k in x} for o, x in zip(out, lines)] == lines  # fields kept
    assert [o["topics"] for o in out] == [["puno-protests"], ["iran-ties"], []]
    match = out[0]["matches"][0]
    assert set(match) == {"topic", "ruleset_version", "score", "terms", "snippet"}
    for term in match["terms"]:
        assert lines[0]["text"][term["start"]:term["end"]] == term["found"]


def test_tag_reports_bad_lines_and_goes_on():
    result = newsmon("tag", stdin='not json\n{"text": "Paro en Puno"}\n')
    assert result.returncode == 1
    assert "line 1" in result.stderr
    assert json.loads(result.stdout)["topics"] == ["puno-protests"]


def test_extract_a_file():
    page = DEMO_SITE / "sur-andino/2023/01/09/juliaca-17-muertos.html"
    result = newsmon("extract", str(page), "--url", "https://sur-andino.example/juliaca")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert {"title", "text", "published", "date_source", "language", "author", "site",
            "canonical_url"} <= set(out)
    assert out["language"] == "es" and out["date_source"] == "page"
    assert out["published"].startswith("2023-01-09")
    assert "Juliaca" in out["title"] and "Inca Manco Cápac" in out["text"]
    assert "LEA TAMBIÉN" not in out["text"]


def test_extract_says_when_there_is_no_text():
    result = newsmon("extract", str(DEMO_SITE / "prensa-regional/video/resumen-semanal.html"))
    assert result.returncode == 1 and "no main text" in result.stderr


@pytest.fixture
def db(tmp_path):
    store = FileStore(tmp_path / "cli.duckdb")
    at = fixed_clock()()
    store.append([ev.feed_polled("sur", 1, at, url="http://x/rss", status=200),
                  ev.article_discovered("a1", "sur", at, url="http://x/1", title="Paro, en \"Puno\""),
                  ev.topic_matched("a1", "puno-protests", "v1", at, score=3.0, snippet="Paro en Puno",
                                   terms=[])], "cli-test")
    return str(store.path)


def test_sql_as_csv_and_json(db):
    query = "SELECT topic, title, score FROM mentions"
    as_csv = newsmon("sql", "--db", db, "--format", "csv", query)
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [
        ["topic", "title", "score"], ["puno-protests", 'Paro, en "Puno"', "3.0"]]
    as_json = newsmon("sql", "--db", db, "--format", "json", query)
    assert json.loads(as_json.stdout) == {"topic": "puno-protests", "title": 'Paro, en "Puno"', "score": 3.0}
    table = newsmon("sql", "--db", db, query)
    assert "puno-protests" in table.stdout and table.stdout.endswith("\n1 row\n")


def test_a_command_that_leaves_at_once_has_written_all_its_output(db, monkeypatch):
    # the process ends without the interpreter's teardown (cli.entry): what it wrote to
    # a pipe, and Python buffered (as it does unless told not to), reaches the reader
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    for rows in (3, 100_000):
        done = newsmon("sql", "--db", db, "--format", "csv", f"SELECT * FROM range({rows})")
        assert (done.returncode, done.stdout.splitlines()) == (0, ["range", *map(str, range(rows))])
    shown = newsmon("sql", "--db", db, "SELECT 'último' AS w")
    assert (shown.returncode, shown.stdout.split()) == (0, ["w", "último", "1", "row"])


def test_sql_refuses_to_write(db):
    result = newsmon("sql", "--db", db, "DELETE FROM events")
    assert result.returncode == 2 and "error:" in result.stderr
    assert newsmon("sql", "--db", db, "--format", "csv", "SELECT count(*) FROM events").stdout \
        .splitlines()[1] == "3"


MEASURED = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
print(done.stdout[-300:])
print(done.stderr[-300:], file=sys.stderr)
"""


def measured(*args: str) -> tuple[int, int, str, str]:
    """newsmon run in a process of its own: exit code, peak memory (MB), stdout, stderr."""
    out = subprocess.run([sys.executable, "-c", MEASURED, sys.executable, "-m", "pipeline",
                          *args], capture_output=True, text=True, timeout=600)
    code, peak = map(int, out.stdout.split("\n", 1)[0].split())
    return code, peak, out.stdout, out.stderr


@pytest.mark.slow  # a whole run, 6-9 s: CI runs it, the quick loop does not
def test_a_million_rows_are_written_a_batch_at_a_time(db, tmp_path):
    out = tmp_path / "big.csv"
    query = "SELECT range AS n, repeat('x', 300) AS t FROM range(1000000)"
    code, peak, stdout, stderr = measured("sql", "--db", db, "--format", "csv", "--out", str(out),
                                          "--timeout", "300", query)
    assert code == 0 and "1000000 rows written" in stdout, stderr
    assert sum(1 for _ in out.open()) == 1_000_001
    assert peak < 600, peak  # all at once, they took 1.2 GB


def test_reading_rows_stops_at_the_time_limit_too(db):
    code, peak, _, stderr = measured("sql", "--db", db, "--format", "json", "--timeout", "3",
                                     "SELECT * FROM range(100000000000)")
    assert code == 2 and "query stopped after 3 s" in stderr and peak < 600


def test_a_table_shows_its_first_thousand_rows_and_says_so(db):
    result = newsmon("sql", "--db", db, "SELECT * FROM range(1000000)")
    assert result.returncode == 0
    shown = result.stdout.splitlines()
    assert shown[1].strip() == "0" and shown[1000].strip() == "999" and "1000" not in shown
    assert "only the first 1000 rows are shown" in result.stdout


def test_events_filters_by_type(db):
    result = newsmon("events", "--db", db, "--type", "TopicMatched", "--format", "json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["type"] for r in rows] == ["TopicMatched"]
    assert rows[0]["payload"]["snippet"] == "Paro en Puno"


def test_a_missing_database_is_a_clear_error(tmp_path):
    result = newsmon("sql", "--db", str(tmp_path / "none.duckdb"), "SELECT 1")
    assert result.returncode == 2 and "newsmon run" in result.stderr


def test_a_bad_config_stops_before_any_work(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - id: a\n    url: not-a-url\n")
    result = newsmon("run", "--db", str(tmp_path / "x.duckdb"), "--feeds", str(bad), "--no-progress")
    assert result.returncode == 2
    assert f"{bad}:3: feeds[0].url" in result.stderr.replace("\n", "")
    assert not (tmp_path / "x.duckdb").exists()


def test_topics_check_scores_labelled_lines(tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps(x) for x in [
        {"id": "ok", "text": "Bloquean la vía Ilave-Desaguadero en Puno.", "topics": ["puno-protests"]},
        {"id": "missed", "text": "Juliaca amaneció sin transporte.", "topics": ["puno-protests"]},
        {"id": "quiet", "text": "Feria gastronómica en Lima.", "topics": []},
    ]) + "\n")
    result = newsmon("topics", "check", str(labelled))
    assert result.returncode == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if row.startswith("puno-protests"))
    assert line.split()[1:6] == ["1.000", "0.500", "0.667", "0", "1"]
    assert "missed · puno-protests · missed" in result.stdout


def test_topics_check_says_what_each_missed_text_lacks_and_counts_the_kinds(tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps(x) for x in [
        {"id": "canada", "text": "La firma china comprará el 50% de la mina. La mina está en Canadá.",
         "topics": ["china-acquisitions"]},
        {"id": "zijin", "text": "Otra mina, en Canadá, fue comprada por la china Zijin.",
         "topics": ["china-acquisitions"]},
        {"id": "apart", "text": "La firma china es grande. Uno. Dos. Compró una mina en Chile.",
         "topics": ["china-acquisitions"]},
        {"id": "bolivia", "text": "Bloqueo en Desaguadero, en el lado boliviano, por la protesta de Bolivia.",
         "topics": ["puno-protests"]},
        {"id": "found", "text": "La firma china comprará una mina en Chile.",
         "topics": ["china-acquisitions"]},
    ]) + "\n")
    result = newsmon("topics", "check", str(labelled))
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    reason = {line.split(" · ")[2].split(":")[0]: out[i + 1].strip()
              for i, line in enumerate(out) if line.startswith("missed · ")}
    assert reason == {"canada": "no @latin-america", "zijin": "no @latin-america",
                      "apart": "every part found, not near enough together",
                      "bolivia": "excluded by NOT @bolivia NEAR/s1 @protest"}
    table = out[next(i for i, line in enumerate(out) if line.startswith("Misses by kind")) + 2:]
    kinds = [line.split()[:2] + line.split()[-3:] for line in table if line.startswith(("china", "puno"))]
    assert kinds[0] == ["china-acquisitions", "no", "2", "canada,", "zijin"]
    assert len(kinds) == 3


def test_a_syntax_error_in_a_rule_is_reported_before_anything_runs(tmp_path):
    topics = tmp_path / "topics.yaml"
    topics.write_text("topics:\n  - id: puno\n    name: Puno\n    query: Puno NEAR/s (paro OR\n")
    result = newsmon("tag", "--topics", str(topics), stdin='{"text": "x"}\n')
    assert result.returncode == 2
    said = result.stderr.replace("\n", "")
    assert "topics.yaml:4: topics[0].query: 'puno': syntax error at the end" in said


def test_retag_and_backtest_on_a_store(tmp_path):
    store, at = FileStore(tmp_path / "retag.duckdb"), fixed_clock()()
    texts = {"a1": "Paro en Puno y bloqueos en Juliaca.", "a2": "Paro en Puno.",
             "a3": "Feria del libro en Lima."}
    events = []
    for article, text in texts.items():
        events += [ev.article_discovered(article, "sur", at, url=f"http://x/{article}", title=article),
                   ev.article_extracted(article, 1, at, text=text, title=article)]
    events += [ev.topic_matched(a, "puno-protests", "v1", at, score=1.0, snippet="s", terms=[])
               for a in ("a1", "a2")]
    store.append(events, "seed")
    rules = tmp_path / "topics.yaml"
    rules.write_text("topics:\n  - id: puno-protests\n    name: P\n    query: Juliaca\n")
    count = "SELECT count(*) FROM events"
    before = store.sql(count)[1][0][0]
    backtest = newsmon("topics", "backtest", "--db", str(store.path), "--topics", str(rules))
    said = " ".join(backtest.stdout.split())
    # the new rule keeps a1, drops a2, adds nothing; and changes nothing
    assert backtest.returncode == 0 and "on 3 stored articles" in said
    assert re.search(r"puno-protests\W+0\W+1\W+1", said), said
    assert store.sql(count)[1][0][0] == before
    retag = newsmon("retag", "--db", str(store.path), "--topics", str(rules))
    assert retag.returncode == 0 and "Re-tagged 3 stored articles" in " ".join(retag.stdout.split())
    assert store.sql("SELECT article_id FROM mentions")[1] == [("a1",)]


def imported(module: str, among: tuple[str, ...]) -> list[str]:
    out = subprocess.run([sys.executable, "-c", f"import sys, {module}; print(sorted(m for m in "
                          f"{among!r} if m in sys.modules))"],
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.replace("'", '"'))


def test_the_command_starts_without_the_libraries_only_some_commands_need():
    # matplotlib (charts) and datasketch (which imports scipy and redis) cost 0.65 s of
    # every command's start: matplotlib is imported when a chart is drawn, datasketch
    # never (story signatures are computed without it, nor scipy, in the workers too)
    assert imported("pipeline.ui.commands", ("matplotlib", "datasketch", "scipy")) == []
    assert imported("pipeline.stories.clustering", ("datasketch", "scipy")) == []
    # nor the extractor, the HTTP client, the query parser, the templates or Arrow, which
    # `sql`, `events` and `trends` do not use (they started in 0.9 s of CPU, now 0.3)
    assert imported("pipeline.ui.commands", ("trafilatura", "httpx", "lark", "jinja2", "pyarrow")) == []
    # `newsmon -h` and a mistyped argument answer before the pipeline is imported (1 s)
    assert imported("pipeline.ui.cli", ("duckdb", "pyarrow", "pydantic", "httpx", "pipeline.store")) == []


def test_a_run_reaches_its_first_article_without_what_comes_after(tmp_path):
    # a run's way to its first article committed (the bench's start-up) imports neither
    # the alert modules (0.1 s; its alert stage does) nor Arrow, which a commit of a few
    # events does without (0.1 s)
    assert imported("pipeline.runs.cycle", ("pipeline.alerts.outbox", "jinja2", "apprise")) == []
    small = ("import sys; from pathlib import Path; from datetime import datetime, timezone; "
             "from pipeline.core import events as ev; from pipeline.store import FileStore; "
             f"FileStore(Path({str(tmp_path / 'x.duckdb')!r})).append([ev.article_discovered("
             "'a', 'f', datetime.now(timezone.utc), url='http://x/a', title='a')], 'r'); "
             "print('pyarrow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", small], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
    # nor numpy (0.25 s), which only clustering needs: the story stage asks the store
    # what is left to cluster before the articles without it
    unclustered = ("import sys; from pathlib import Path; from datetime import datetime, timezone; "
                   "from pipeline.store import FileStore; from pipeline.stories.stage import Clustering; "
                   f"Clustering(FileStore(Path({str(tmp_path / 'x.duckdb')!r})), 'r', "
                   "lambda: datetime.now(timezone.utc))(); print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", unclustered], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_data_is_shown_as_written_and_control_characters_do_nothing(db):
    query = ("SELECT 'Crónica [/] Puno [red]rojo[/red] [link=https://e.org]l[/link] [b]b' AS t, "
             "chr(27) || ']8;;https://evil.example' || chr(27) || '\\ ' || chr(27) || '[31mRED' AS c, "
             "'nul' || chr(0) AS n")
    result = newsmon("sql", "--db", db, query)
    assert result.returncode == 0, result.stderr
    assert "Crónica [/] Puno [red]rojo[/red] [link=https://e.org]l[/link] [b]b" in result.stdout
    assert "\x1b" not in result.stdout and "\x00" not in result.stdout
    assert "\\x1b]8;;https://evil.example\\x1b\\ \\x1b[31mRED" in result.stdout
    assert "nul\\x00" in result.stdout


def test_a_run_where_every_feed_fails_names_them_grouped_and_fails(tmp_path, port):
    # nothing listens on `port`: every poll is refused
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n" + "".join(
        f"  - id: outlet-{n:02}\n    url: http://127.0.0.1:{port}/feed{n}.xml\n" for n in range(12)))
    env = {"NEWSMON_ALLOW_HOSTS": f"127.0.0.1:{port}", "COLUMNS": "80"}
    args = ("run", "--db", str(tmp_path / "x.duckdb"), "--feeds", str(feeds), "--no-progress")
    first = newsmon(*args, env=env)
    assert first.returncode == 1 and "all 12 feeds polled failed (connect)" in first.stderr
    failed = next(line for line in first.stdout.splitlines() if line.startswith("feeds failed:"))
    assert failed.startswith("feeds failed: 12 with connect: outlet-00, outlet-01,")
    assert "outlet-07 and 4 more (e.g. outlet-00: " in failed
    second = newsmon(*args, env=env)  # all wait: nothing polled, nothing failed
    assert second.returncode == 0
    waiting = [line for line in second.stdout.splitlines() if line.startswith("feeds waiting:")]
    assert len(waiting) == 1 and waiting[0].startswith(
        "feeds waiting: 12 backing off after failed polls, not polled this run: outlet-00,")


@pytest.mark.parametrize("args, said", [
    (("report", "--out", "/nonexistent/x.html"), "no folder /nonexistent to write x.html into"),
    (("sql", "--format", "csv", "--out", "/nonexistent/x", "SELECT 1"), "no folder /nonexistent"),
    (("sql", "--format", "parquet", "--out", "/nonexistent/x", "SELECT 1"), "no folder /nonexistent"),
    (("trends", "--chart", "/nonexistent/x.png"), "no folder /nonexistent to write x.png into"),
    (("alert", "--preview", __file__), "exists and is not a folder"),
    (("events", "--tail", "-1"), "-1 is not a positive number"),
    (("trends", "--since", "2020-13-01"), "'2020-13-01' is not a day as YYYY-MM-DD"),
    (("trends", "--topic", "puno"), "no topic 'puno'; did you mean puno-protests?"),
    (("events", "--type", "TopicMatch"), "no event type 'TopicMatch'; did you mean TopicMatched?"),
])
def test_a_mistake_is_one_line_naming_it(db, args, said):
    result = newsmon(*args, env={"NEWSMON_DB": db})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert said in result.stderr


@pytest.mark.parametrize("labels, said", [
    ('"puno-protests"', '`topics` must be a list of topic ids, like ["china-acquisitions"], '
                        'not "puno-protests"'),
    ('["puno"]', "no topic 'puno'; did you mean puno-protests?"),
])
def test_topics_check_refuses_labels_it_cannot_score(tmp_path, labels, said):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(f'{{"text": "Paro en Puno", "topics": {labels}}}\n')
    result = newsmon("topics", "check", str(labelled))
    assert result.returncode == 2 and f"{labelled}:1: {said}" in result.stderr


MARKUP = "[/] [red]rojo[/red] [link=x]enlace [b]negrita"
PAGE = """<html><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>Los dirigentes de Juliaca anunciaron un paro indefinido en Puno y el bloqueo de la vía
Juliaca–Cusco desde el lunes. Según el parte policial, los manifestantes {markup} cerraron
el puente y la carretera hacia Desaguadero durante toda la mañana.</p>
<p>El comité de lucha indicó que la protesta seguirá hasta que el gobierno atienda su
pliego de reclamos, que incluye la salida de las autoridades regionales.</p>
<p>Los transportistas reportaron cientos de vehículos varados en la ruta y pérdidas para el
comercio de la región, mientras la policía evaluaba el despeje de la vía.</p>
</article></body></html>"""


@pytest.mark.slow  # a whole run, 6-9 s: CI runs it, the quick loop does not
def test_markup_in_data_is_printed_as_written_by_every_command(tmp_path, serve):
    site = tmp_path / "site"
    site.mkdir()
    server = serve(site)
    title = f"EN VIVO {MARKUP} Bloqueos en Juliaca, Puno"
    (site / "a.html").write_text(PAGE.format(title=title, markup=MARKUP), encoding="utf-8")
    (site / "feed.xml").write_text(
        f"<rss version='2.0'><channel><title>t</title><item><title>{title}</title>"
        f"<link>http://{server.host_port}/a.html</link>"
        "<pubDate>Mon, 09 Jan 2023 10:00:00 GMT</pubDate></item></channel></rss>", encoding="utf-8")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - id: sur\n    url: http://{server.host_port}/feed.xml\n")
    db = str(tmp_path / "m.duckdb")
    env = {"NEWSMON_DB": db, "NEWSMON_ALLOW_HOSTS": server.host_port, "COLUMNS": "1000"}
    outputs = {"run": newsmon("run", "--feeds", str(feeds), "--no-progress", env=env)}
    FileStore(db).append([ev.feed_poll_failed("sur", 99, fixed_clock()(), url="http://x/rss",
                                              error_class="parse", detail=f"bad {MARKUP}")], "seed")
    outputs["events"] = newsmon("events", "--type", "ArticleDiscovered", env=env)
    outputs["status"] = newsmon("status", env=env)
    outputs["sql"] = newsmon("sql", "SELECT title FROM articles", env=env)
    outputs["tag"] = newsmon("tag", stdin=json.dumps({"text": f"Paro en Puno {MARKUP}"}) + "\n")
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(json.dumps({"id": f"x {MARKUP}", "text": f"Lima {MARKUP}",
                                    "topics": ["puno-protests"]}) + "\n")
    outputs["topics check"] = newsmon("topics", "check", str(labelled), env=env)
    rules = tmp_path / "topics.yaml"
    rules.write_text("topics:\n  - id: puno-protests\n    name: P\n    query: Cusco\n"
                     "  - id: iran-ties\n    name: I\n    query: rojo\n")
    outputs["backtest"] = newsmon("topics", "backtest", "--topics", str(rules), env=env)
    for command, result in outputs.items():
        assert result.returncode == 0, (command, result.stderr)
        assert MARKUP in result.stdout, (command, result.stdout)


def test_a_store_in_a_folder_that_does_not_exist_is_refused_not_made(tmp_path):
    missing = tmp_path / "typo" / "x.duckdb"
    result = newsmon("run", "--no-progress", env={"NEWSMON_DB": str(missing)})
    assert result.returncode == 2 and result.stdout == ""
    assert f"NEWSMON_DB: no folder {missing.parent} to hold x.duckdb" in result.stderr
    assert not missing.parent.exists()


def test_topics_explain_shows_which_parts_found_evidence():
    said = newsmon("topics", "explain", "china-acquisitions", "--text",
                   "La firma china comprará el 50% de la mina. La mina está en Canadá.")
    assert said.returncode == 1 and said.stdout.startswith("china-acquisitions: does not match")
    lines = [line.strip() for line in said.stdout.splitlines()[1:]]
    assert lines[:2] == ["✗ OR", "✗ NEAR/s"]  # same sentence, or the next with no other country
    assert "✓ @chinese-buyer  china" in lines and "✓ @acquisition  comprará" in lines
    assert "✗ @latin-america" in lines
    found = newsmon("topics", "explain", "china-acquisitions",
                    stdin="La firma china comprará una mina en Chile.")
    assert found.returncode == 0 and "✓ @latin-america  Chile" in found.stdout


def test_topics_explain_shows_a_rule_written_over_lines_on_one(tmp_path):
    # YAML keeps the line breaks of a folded query's more indented lines
    topics = tmp_path / "topics.yaml"
    topics.write_text("topics:\n  - id: t\n    name: t\n    query: >-\n"
                      "      (Puno\n        OR Juliaca)\n      NEAR/s paro\n")
    said = newsmon("topics", "explain", "t", "--topics", str(topics), "--text", "Paro en Puno.")
    assert said.stdout.splitlines()[:2] == ["t: matches; rule (Puno OR Juliaca) NEAR/s paro",
                                            "✓ NEAR/s  Paro, Puno"]


def test_topics_check_by_language(tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps(x) for x in [
        {"text": "Bloquean la vía en Puno.", "topics": ["puno-protests"], "lang": "es"},
        {"text": "Greve e bloqueios em Juliaca.", "topics": ["puno-protests"], "lang": "pt"},
        {"text": "Feira em Lima.", "topics": [], "lang": "pt"}]) + "\n")
    result = newsmon("topics", "check", str(labelled), "--by", "lang")
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()
            if line.startswith(("es ", "pt "))}
    assert rows == {"es": ["1", "1.000", "1.000"], "pt": ["2", "1.000", "1.000"]}
