"""Fetched pages kept as WARC: written by a run on loopback, read back by warcio's own
tools and by `newsmon show`, whole after a process is killed mid-record, extracted again
(`reextract`) and exported as WARC and WACZ."""

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from conftest import CHECKOUT, DEMO_SITE, fixed_clock, settings_for
from servers import RouteServer, send
from servers import page as html_page
from warcio.archiveiterator import ArchiveIterator

from pipeline.core import events as ev
from pipeline.ingest import archive
from pipeline.ingest.objects import Remote
from pipeline.runs.context import Context, Report
from pipeline.runs.cycle import run_cycle

WARCIO = str(Path(sys.executable).parent / "warcio")


def run_demo_site(store, site, **settings):
    feeds = [{"id": "sur-andino", "url": f"{site.origin}/sur-andino/rss.xml"}]
    from pipeline.core.config import AlertsFile, FeedsFile
    from pipeline.topics.definitions import load_topics
    ctx = Context(settings_for(site, store.path, **settings), store, FeedsFile(feeds=feeds), load_topics(),
                  AlertsFile.model_validate({"from": "n@example.org"}), "archive", fixed_clock())
    return run_cycle(ctx)


def test_every_fetched_page_is_kept_once_and_warcio_reads_it(serve, store, tmp_path):
    site = serve(DEMO_SITE)
    report: Report = run_demo_site(store, site)
    fetched = [json.loads(p) for (p,) in store.sql(
        "SELECT payload FROM events WHERE type = 'ArticleFetched' ORDER BY seq")[1]]
    assert len(fetched) == report.appended[ev.ARTICLE_FETCHED] > 3
    folder = store.path.with_name(store.path.name + ".warc")
    files = sorted(folder.glob("*.warc.gz"))
    assert len(files) == 1 and not list(folder.glob("*.open"))  # closed at the end of the run
    for tool in ("check", "index"):
        checked = subprocess.run([WARCIO, tool, str(files[0])], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    index = [json.loads(line) for line in checked.stdout.splitlines()]
    assert sorted(int(i["offset"]) for i in index) == sorted(f["warc_offset"] for f in fetched)
    # the page as served, named by its event
    url, status, headers, body = archive.read(folder, fetched[0])
    served = (DEMO_SITE / url.split(site.origin + "/")[1]).read_bytes()
    assert (url, status) == (fetched[0]["final_url"], 200) and body == served.replace(
        b"{{origin}}", site.origin.encode())
    # newsmon show: the article, its events, the archived page
    article = store.sql("SELECT article_id FROM events WHERE type = 'ArticleFetched' "
                        "ORDER BY seq LIMIT 1")[1][0][0]
    page = tmp_path / "page.html"
    shown = subprocess.run([sys.executable, "-m", "pipeline", "show", article, "--db", str(store.path),
                            "--page", str(page)], capture_output=True, text=True, cwd=CHECKOUT)
    assert shown.returncode == 0, shown.stderr
    assert f"Archived: {fetched[0]['warc_file']}" in shown.stdout and page.read_bytes() == body
    # extracted again from the archive, without fetching: what the run extracted
    again = subprocess.run([sys.executable, "-m", "pipeline", "extract", article, "--from-archive",
                            "--db", str(store.path)], capture_output=True, text=True, cwd=CHECKOUT)
    assert again.returncode == 0, again.stderr
    extracted = store.sql(f"SELECT payload->>'text' FROM events WHERE type = 'ArticleExtracted' "
                          f"AND article_id = '{article}'")[1][0][0]
    assert json.loads(again.stdout)["text"] == extracted
    missing = subprocess.run([sys.executable, "-m", "pipeline", "extract", "nosuch", "--from-archive",
                              "--db", str(store.path)], capture_output=True, text=True, cwd=CHECKOUT)
    assert missing.returncode == 2 and "no archived page of an article nosuch" in missing.stderr
    # a second run fetches nothing new, and keeps nothing more
    run_demo_site(store, site)
    assert sorted(folder.glob("*.warc.gz")) == files


def test_without_an_archive_nothing_is_kept(serve, store):
    site = serve(DEMO_SITE)
    run_demo_site(store, site, archive="off")
    assert not store.path.with_name(store.path.name + ".warc").exists()
    kept = store.sql("SELECT count(*) FROM events WHERE type = 'ArticleFetched' "
                     "AND (payload->>'warc_record_id') IS NOT NULL")[1]
    assert kept == [(0,)]


KILLED = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime, timezone
    from pathlib import Path
    from pipeline.ingest.archive import Archive
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    with Archive(Path(sys.argv[1])) as kept:
        for n in range(3):
            kept.keep(f"https://e.org/{n}", 200, {"Content-Type": "text/html"}, b"<p>page</p>" * 500,
                      at, f"{n:032x}")
        # the fourth record, cut short as a kill in the middle of its write would leave it
        whole = Path(sys.argv[2])
        kept._file.write(whole.read_bytes()[:700])
        kept._file.flush()
        os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_record_cut_short_by_a_kill_is_cut_off_before_anyone_reads_it(tmp_path):
    folder, spare = tmp_path / "warc", tmp_path / "spare"
    with archive.Archive(spare) as kept:
        # random bytes do not compress: 700 bytes of the record are a part of it
        kept.keep("https://e.org/x", 200, {}, os.urandom(20_000), datetime.now(timezone.utc), "f" * 32)
    whole = next(spare.glob("*.warc.gz"))
    killed = subprocess.run([sys.executable, "-c", KILLED, str(folder), str(whole)], cwd=CHECKOUT)
    assert killed.returncode == -signal.SIGKILL
    left, = folder.glob("*.warc.gz.open")
    # a reader would meet a fourth record, cut short (warcio reads what there is of it)
    cut = subprocess.run([WARCIO, "index", str(left)], capture_output=True, text=True).stdout
    assert len(cut.splitlines()) == 4 and "https://e.org/x" in cut
    with archive.Archive(folder):  # the next archive opened on the folder mends it
        pass
    mended, = folder.glob("*.warc.gz")
    assert subprocess.run([WARCIO, "check", str(mended)], capture_output=True).returncode == 0
    checked = subprocess.run([WARCIO, "index", str(mended)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert [json.loads(line)["warc-target-uri"] for line in checked.stdout.splitlines()] == [
        "https://e.org/0", "https://e.org/1", "https://e.org/2"]
    # the rerun fetches the same attempts again: a page read the same is not kept twice,
    # one that changed meanwhile is kept
    size = mended.stat().st_size
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    with archive.Archive(folder) as rerun:
        same = rerun.keep("https://e.org/1", 200, {"Content-Type": "text/html"}, b"<p>page</p>" * 500,
                          at, f"{1:032x}")
        changed = rerun.keep("https://e.org/2", 200, {"Content-Type": "text/html"}, b"<p>new</p>" * 500,
                             at, f"{2:032x}")
    first = json.loads(checked.stdout.splitlines()[1])
    assert (same.file, same.offset) == (mended.name, int(first["offset"])) and mended.stat().st_size == size
    assert changed.file != mended.name and len(list(folder.glob("*.warc.gz"))) == 2


def test_a_run_that_fails_leaves_its_records_for_the_rerun(tmp_path):
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    try:
        with archive.Archive(tmp_path) as kept:
            first = kept.keep("https://e.org/a", 200, {}, b"<p>a</p>", at, "a" * 32)
            raise RuntimeError("the commit failed")
    except RuntimeError:
        pass
    with archive.Archive(tmp_path) as rerun:
        assert rerun.keep("https://e.org/a", 200, {}, b"<p>a</p>", at, "a" * 32) == first
    assert len(list(tmp_path.glob("*.warc.gz"))) == 1


def test_two_archives_one_after_the_other_in_one_process_keep_both_files(tmp_path):
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    kept = []
    for n in range(2):  # the fetch stage's, then the recheck stage's, within a second
        with archive.Archive(tmp_path) as one:
            kept.append(one.keep(f"https://e.org/{n}", 200, {}, b"<p>x</p>", at, f"{n:032x}"))
    assert [archive.read(tmp_path, k)[0] for k in kept] == ["https://e.org/0", "https://e.org/1"]


def reextract(store, *more):
    done = subprocess.run([sys.executable, "-m", "pipeline", "reextract", "--db", str(store.path),
                           "--no-progress", *more], capture_output=True, text=True, cwd=CHECKOUT)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"^  ([a-z][^:]*): (\d+)$", done.stdout, re.M))


def test_reextract_reads_the_archive_again_and_records_only_what_changed(serve, store, tmp_path):
    site = serve(DEMO_SITE)
    run_demo_site(store, site)
    site.__exit__(None, None, None)  # nothing is fetched again
    texts = dict(store.sql("SELECT article_id, text FROM articles WHERE state = 'extracted'")[1])
    same = reextract(store)
    assert same["read from the archive"] == str(len(texts)) and same["changed"] == "0"
    assert same["events recorded"] == "0"
    # extraction "improves": the site's first paragraph is now boilerplate
    sites = tmp_path / "sites.yaml"
    sites.write_text('sites:\n  127.0.0.1:\n    drop:\n      - "//article//p[1]"\n')
    preview = reextract(store, "--sites", str(sites), "--dry-run")
    assert int(preview["changed"]) > 0 and preview["events recorded"] == "0"
    changed = reextract(store, "--sites", str(sites))
    assert changed["changed"] == preview["changed"]
    assert int(changed["events recorded"]) >= int(changed["changed"])
    now = dict(store.sql("SELECT article_id, text FROM articles WHERE state = 'extracted'")[1])
    differ = [a for a in texts if now[a] != texts[a]]
    assert len(differ) == int(changed["changed"]) and all(len(now[a]) < len(texts[a]) for a in differ)
    marked = store.sql("SELECT count(*) FROM events WHERE type = 'ArticleExtracted' "
                       "AND (payload->>'reextracted') IS NOT NULL")[1][0][0]
    assert marked == len(differ)
    assert reextract(store, "--sites", str(sites))["events recorded"] == "0"  # twice: nothing more


def test_an_export_holds_the_pages_of_the_articles_selected_and_replay_tools_read_it(serve, store, tmp_path):
    site = serve(DEMO_SITE)
    run_demo_site(store, site)
    wanted = {r[0] for r in store.sql(
        "SELECT DISTINCT f.payload->>'warc_record_id' FROM events AS f JOIN mentions AS m USING (article_id) "
        "WHERE f.type = 'ArticleFetched' AND m.topic = 'puno-protests'")[1]}
    assert wanted

    def export(out, *more):
        done = subprocess.run([sys.executable, "-m", "pipeline", "archive", "export", "--db", str(store.path),
                               "--out", str(out), *more], capture_output=True, text=True, cwd=CHECKOUT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    warc = tmp_path / "puno.warc.gz"
    said = export(warc, "--topic", "puno-protests")
    assert f"{len(wanted)} pages of {len(wanted)} articles written" in said
    assert subprocess.run([WARCIO, "check", str(warc)], capture_output=True).returncode == 0
    index = [json.loads(line) for line in subprocess.run(
        [WARCIO, "index", "-f", "warc-type,warc-record-id,offset", str(warc)],
        capture_output=True, text=True, check=True).stdout.splitlines()]
    assert index[0]["warc-type"] == "warcinfo" and {i["warc-record-id"] for i in index[1:]} == wanted
    # a WACZ of the same: the WARC, its CDXJ index, its pages, every file's hash
    wacz = tmp_path / "puno.wacz"
    export(wacz, "--topic", "puno-protests", "--since", "2000-01-01")
    with zipfile.ZipFile(wacz) as package:
        names = set(package.namelist())
        assert {"archive/data.warc.gz", "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
                "datapackage-digest.json"} <= names
        described = json.loads(package.read("datapackage.json"))
        for resource in described["resources"]:
            assert resource["hash"] == "sha256:" + hashlib.sha256(package.read(resource["path"])).hexdigest()
        data = package.read("archive/data.warc.gz")
        lines = package.read("indexes/index.cdx").decode().splitlines()
        assert lines == sorted(lines) and len(lines) == len(wanted)
        for line in lines:
            key, stamp, fields = line.split(" ", 2)
            at = json.loads(fields)
            record = data[int(at["offset"]):int(at["offset"]) + int(at["length"])]
            read = next(iter(ArchiveIterator(io.BytesIO(record))))
            assert read.rec_headers.get_header("WARC-Target-URI") == at["url"]
            assert key.endswith(")" + urlsplit(at["url"]).path) and stamp.isdigit() and len(stamp) == 14
        pages = package.read("pages/pages.jsonl").decode().splitlines()
        assert json.loads(pages[0])["format"] == "json-pages-1.0" and len(pages) == len(wanted) + 1
    # nothing of the future: an empty selection is an empty export, not an error
    assert "0 pages of 0 articles" in export(tmp_path / "none.warc.gz", "--since", "2099-01-01")


def test_an_archive_in_an_object_store_is_written_and_read_the_same(serve, store, tmp_path):
    bucket = tmp_path / "bucket"
    prefix = f"file://{bucket}/newsmon"  # s3://, gs://, az:// go through the same calls
    site = serve(DEMO_SITE)
    run_demo_site(store, site, archive=prefix)
    files = sorted((bucket / "newsmon").glob("*.warc.gz"))
    assert files and not list(Remote(prefix).spool.glob("*.warc.gz*"))  # all put
    for tool in ("check", "index"):
        assert subprocess.run([WARCIO, tool, str(files[0])], capture_output=True).returncode == 0
    fetched = [json.loads(p) for (p,) in store.sql(
        "SELECT payload FROM events WHERE type = 'ArticleFetched' ORDER BY seq")[1]]
    url, status, _, body = archive.read(prefix, fetched[-1])  # ranged reads
    assert (url, status) == (fetched[-1]["final_url"], 200) and len(body) == fetched[-1]["bytes"]
    out = tmp_path / "all.warc.gz"
    done = subprocess.run([sys.executable, "-m", "pipeline", "archive", "export", "--db", str(store.path),
                           "--out", str(out)], capture_output=True, text=True, cwd=CHECKOUT,
                          env={**os.environ, "NEWSMON_ARCHIVE": prefix})
    assert done.returncode == 0 and f"{len(fetched)} pages of {len(fetched)} articles" in done.stdout


def test_a_run_killed_mid_fetch_leaves_whole_records_and_its_rerun_keeps_no_page_twice(store, tmp_path):
    pages = sorted((DEMO_SITE / "sur-andino").rglob("*.html"))[:3]
    gate, slow = threading.Event(), {"held": True}

    def held(handler) -> None:  # the fourth page: on its way until the run is killed
        if not slow["held"]:
            return send(handler, 200, pages[0].read_bytes().replace(b"Sur Andino", b"Otro"),
                        {"Content-Type": "text/html; charset=utf-8"})
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"<html>")
        handler.wfile.flush()
        gate.wait(60)

    routes = {f"/a{n}.html": html_page(p.read_bytes(), "text/html") for n, p in enumerate(pages)}
    routes["/a3.html"] = held
    server = RouteServer(routes)
    items = "".join(f"<item><title>t{n}</title><link>{server.origin}/a{n}.html</link></item>"
                    for n in range(4))
    routes["/rss.xml"] = lambda h: send(h, 200, f"<rss version='2.0'><channel><title>s</title>{items}"
                                        f"</channel></rss>".encode(), {"Content-Type": "application/rss+xml"})
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - id: s\n    url: {server.origin}/rss.xml\n")
    env = {**os.environ, "NEWSMON_ALLOW_HOSTS": server.host_port, "NEWSMON_OFFLINE": "1",
           "NEWSMON_DEADLINE": "120", "NEWSMON_WORKERS": "1"}
    command = [sys.executable, "-m", "pipeline", "run", "--db", str(store.path), "--feeds", str(feeds),
               "--no-progress"]
    folder = store.path.with_name(store.path.name + ".warc")
    run = subprocess.Popen(command, cwd=CHECKOUT, env=env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not [f for f in folder.glob("*.open") if len(archive._records(f)) == 3]:
            assert run.poll() is None, "the run ended before it was killed"
            time.sleep(0.1)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        gate.set()
    assert store.sql("SELECT count(*) FROM events WHERE type = 'ArticleFetched'")[1] == [(0,)]
    slow["held"] = False
    rerun = subprocess.run(command, cwd=CHECKOUT, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    fetched = [json.loads(p) for (p,) in store.sql(
        "SELECT payload FROM events WHERE type = 'ArticleFetched'")[1]]
    kept = [r for f in sorted(folder.glob("*.warc.gz")) for r in archive._records(f)]
    assert subprocess.run([WARCIO, "check", *map(str, folder.glob("*.warc.gz"))]).returncode == 0
    # four pages, four records: the three the killed run kept are named, not kept again
    assert len(fetched) == 4 and len(kept) == 4
    assert {f["warc_record_id"] for f in fetched} == {stored.record_id for stored, _ in kept}
    for f in fetched:
        assert archive.read(folder, f)[3][:6] in (b"<!DOCT", b"<html>", b"<!doct")


def test_the_archive_lies_beside_the_store_or_beside_a_ducklakes_data():
    from pipeline.core.settings import Settings
    assert archive.folder_for(Settings(db="/tmp/n.duckdb")) == Path("/tmp/n.duckdb.warc")
    assert archive.folder_for(Settings(db="ducklake:/tmp/n.ducklake")) == Path("/tmp/n.ducklake.files.warc")
    # beside the data files, not among them: no DuckLake cleanup can take a WARC file for its own
    assert archive.folder_for(Settings(db="ducklake:postgres:dbname=n", lake_data="s3://b/lake/")) \
        == "s3://b/lake.warc"
    assert archive.folder_for(Settings(db="/tmp/n.duckdb", archive="gs://b/warc")) == "gs://b/warc"
    assert archive.folder_for(Settings(db="/tmp/n.duckdb", archive="off")) is None
