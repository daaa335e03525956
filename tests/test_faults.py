"""RELIABILITY.md, faults: processes killed mid-commit, two runs at once, a full disk, a
corrupt file, careless queries. Real processes, real files."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import CHECKOUT, DEMO_SITE, fixed_clock

from pipeline.core import events as ev
from pipeline.demo.mailcatcher import free_port
from pipeline.store import FileStore, StoreDamaged, StoreError

AT = fixed_clock()()


def discovered(n: int, offset: int = 0) -> list[ev.Event]:
    return [ev.article_discovered(f"a{i}", "f", AT, url=f"https://e.org/{i}", title="t" * 200)
            for i in range(offset, offset + n)]


# One transaction of five batches; it says when each is in, then the read models and the
# commit follow. The test kills it after a given batch, at once or a little later.
DOOMED = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from pipeline.core import events as ev
    from pipeline.store import FileStore
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    store = FileStore(sys.argv[1])
    batches = [[ev.article_discovered(f"b{k}-{i}", "f", at, url=f"https://e.org/b{k}/{i}",
                                      title="t" * 200) for i in range(4000)] for k in range(5)]
    with store.transaction("doomed") as tx:
        for k, batch in enumerate(batches):
            tx.append(batch)
            print(k, flush=True)
    print("committed", flush=True)
""")


def read_models(store) -> dict:
    from pipeline.store.schema import TABLES
    with store.writer() as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


@pytest.mark.parametrize("after_batch, delay", [(0, 0), (2, 0), (4, 0), (4, 0.05), (4, 0.2)])
def test_a_process_killed_inside_its_commit_loses_and_duplicates_nothing(store, after_batch, delay):
    store.append(discovered(100), "before")
    doomed = subprocess.Popen([sys.executable, "-c", DOOMED, str(store.path)],
                              stdout=subprocess.PIPE, text=True, cwd=CHECKOUT)
    while (line := doomed.stdout.readline().strip()) != str(after_batch):
        assert line, "the doomed process ended before its kill"
    time.sleep(delay)  # inside the transaction: in the appends, the read models or the commit
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    total, distinct = store.sql("SELECT count(*), count(DISTINCT event_id) FROM events")[1][0]
    assert total == distinct and total in (100, 20_100)  # all of the transaction or none
    # the read models hold what the log holds, as a rebuild makes them
    kept = read_models(store)
    store.rebuild()
    assert read_models(store) == kept
    store.append(discovered(100) + discovered(50, 100), "after")  # the retry of the work
    total, distinct = store.sql("SELECT count(*), count(DISTINCT event_id) FROM events")[1][0]
    assert total == distinct and total in (150, 20_150)


@pytest.mark.slow  # a whole run, 6-9 s: CI runs it, the quick loop does not
def test_two_runs_at_once_both_finish_and_record_each_fact_once(tmp_path):
    ports = {"a": free_port(), "b": free_port()}
    db = tmp_path / "shared.duckdb"
    # Two demo sites (ports differ, so article URLs differ), one database, each run
    # allowed to fetch both: whichever plans an article first may fetch it, and often
    # both do.
    env = {**os.environ, "NEWSMON_LOCK_WAIT": "120", "NEWSMON_WORKERS": "1",
           "NEWSMON_ALLOW_HOSTS": ",".join(f"127.0.0.1:{p}" for p in ports.values())}
    runs = [subprocess.Popen([sys.executable, "-m", "pipeline", "demo", "--db", str(db),
                              "--port", str(port), "--mail-dir", str(tmp_path / f"mail-{name}"),
                              "--no-progress"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for name, port in ports.items()]
    results = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [err[-2000:] for _, err in results]
    store = FileStore(db)
    total, distinct = store.sql("SELECT count(*), count(DISTINCT event_id) FROM events")[1][0]
    assert total == distinct
    extracted = store.sql("SELECT count(*), count(DISTINCT article_id) FROM events "
                          "WHERE type = 'ArticleExtracted'")[1][0]
    assert extracted == (94, 94)  # every article of both sites, once
    both = store.sql("SELECT count(*) FROM (SELECT article_id FROM events WHERE type IN "
                     "('ArticleFetchFailed', 'ArticleExtracted') GROUP BY article_id "
                     "HAVING count(DISTINCT type) = 2)")[1][0][0]
    assert both == 0  # no article both failed and extracted
    spans = store.sql("SELECT min(recorded_at), max(recorded_at) FROM events GROUP BY run_id")[1]
    # at once: each run recorded something while the other was recording (a run whose
    # events went in one commit has a span of one instant, inside the other's)
    assert len(spans) == 2 and max(s for s, _ in spans) <= min(e for _, e in spans)


# Each process appends one event to each of the stores, all starting on a store at the
# same moment, so that they find it missing together.
CREATORS = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timezone
    from pipeline.core import events as ev
    from pipeline.store import FileStore
    folder, name, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    for k in range(12):
        while time.time() < start + 0.25 * k:
            pass
        FileStore(f"{folder}/s{k}.duckdb", lock_wait=60).append(
            [ev.article_discovered(f"{name}{k}", "f", at, url=f"https://e.org/{name}", title="t")], name)
""")


@pytest.mark.slow  # 12 stores made by four processes at once: about 5 s
def test_processes_that_create_the_store_at_once_all_write_to_it(tmp_path):
    # DuckDB opens a new file before it locks it: a process that opened it in between
    # found it empty and called it damaged. The store is now put in place whole.
    start = time.time() + 2  # the imports done
    makers = [subprocess.Popen([sys.executable, "-c", CREATORS, str(tmp_path), name, str(start)],
                               cwd=CHECKOUT, stderr=subprocess.PIPE, text=True) for name in "abcd"]
    errors = [m.communicate(timeout=120)[1] for m in makers]
    assert [m.returncode for m in makers] == [0] * 4, [e[-500:] for e in errors]
    for k in range(12):
        assert FileStore(tmp_path / f"s{k}.duckdb").sql(
            "SELECT string_agg(run_id, '' ORDER BY run_id) FROM events")[1] == [("abcd",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"s{k}.duckdb" for k in range(12))


def test_a_full_disk_is_a_clear_error_and_earlier_data_stays(tmp_path):
    disk = tmp_path / "small"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root): " + mounted.stderr.decode()[:200])
    try:
        store = FileStore(disk / "events.duckdb", lock_wait=5)
        store.append(discovered(100), "before")
        with pytest.raises(StoreError, match="the disk is full") as caught:
            for n in range(1, 50):
                store.append(discovered(20_000, 1000 * n * 20), f"fill-{n}")
        assert "earlier events are intact" in str(caught.value)
        total = store.sql("SELECT count(*) FROM events WHERE run_id = 'before'")[1][0][0]
        assert total == 100
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_corrupt_database_file_is_a_clear_error(tmp_path):
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(os.urandom(1 << 16))
    with pytest.raises(StoreError, match="cannot open|is damaged"):
        FileStore(path).append(discovered(1), "r")
    with pytest.raises(StoreError, match="cannot open|is damaged"):
        FileStore(path).sql("SELECT 1")
    result = subprocess.run([sys.executable, "-m", "pipeline", "events", "--db", str(path)],
                            capture_output=True, text=True, cwd=CHECKOUT)
    assert result.returncode == 2 and ("cannot open" in result.stderr or "damaged" in result.stderr)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("damage") / "healthy.duckdb"
    store = FileStore(path)
    for n in range(4):
        store.append(discovered(20_000, 20_000 * n), f"r{n}")
    return path


HEADER, BLOCK = 3 * 4096, 256 * 1024  # DuckDB's file layout: headers, then blocks


def lost_block(path: Path) -> tuple[int, int, int]:
    """A block of event payloads inside the file, as DuckDB's storage info places it:
    its offset in the file and the rows it holds (first row, count)."""
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        block, start, rows = con.execute(
            "SELECT block_id, start, count FROM pragma_storage_info('events') "
            "WHERE column_name = 'payload' AND segment_type = 'JSON' ORDER BY start "
            "LIMIT 1 OFFSET 5").fetchone()
    finally:
        con.close()
    return HEADER + block * BLOCK, start, rows


def damaged_copy(healthy: Path, folder: Path, how: str) -> Path:
    path = folder / f"{how}.duckdb"
    data = bytearray(healthy.read_bytes())
    if how == "zeroed":  # one block of payloads lost inside the file
        offset, _, _ = lost_block(healthy)
        data[offset:offset + BLOCK] = bytes(BLOCK)
    else:  # cut short, as by a full disk or a copy that stopped
        del data[len(data) // 4:]
    path.write_bytes(bytes(data))
    return path


def newsmon(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, cwd=CHECKOUT, env={**os.environ, **env}, timeout=300)


@pytest.mark.parametrize("how", ["zeroed", "truncated"])
def test_a_damaged_file_is_named_damaged_at_once_with_the_way_out(healthy, tmp_path, how):
    path = damaged_copy(healthy, tmp_path, how)
    commands = [("sql", "--db", str(path), "SELECT max(length(event_id)), max(length(stream)), "
                 "max(length(payload)) FROM events")]
    if how == "truncated":
        commands += [("status", "--db", str(path)),
                     ("report", "--db", str(path), "--out", str(tmp_path / "r.html"))]
    for command in commands:
        # a lock wait of two minutes, as users have it: damage must not be taken for a lock
        result = newsmon(*command, NEWSMON_LOCK_WAIT="120")
        assert result.returncode == 2, (command, result.stderr[-1500:])
        assert "is damaged" in result.stderr and "newsmon copy-log" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and "in use by another process" not in result.stderr
    if how == "truncated":
        with pytest.raises(StoreDamaged):
            FileStore(path, lock_wait=120).append(discovered(10, 100_000), "after")


def test_the_word_block_in_a_checksum_error_is_not_a_lock():
    import duckdb

    from pipeline.store.errors import is_lock_error
    assert not is_lock_error(duckdb.IOException(
        "Corrupt database file: computed checksum 1 does not match stored checksum 2 in block "
        "at location 6041600"))
    assert is_lock_error(duckdb.IOException(
        'Could not set lock on file "x.duckdb": Conflicting lock is held in python (PID 1)'))


@pytest.mark.slow  # a whole run, 6-9 s: CI runs it, the quick loop does not
def test_copy_log_saves_what_a_damaged_file_still_holds(healthy, tmp_path):
    path = damaged_copy(healthy, tmp_path, "zeroed")
    _, _, rows = lost_block(healthy)
    result = newsmon("copy-log", "--db", str(path), "--to", str(tmp_path / "saved.duckdb"))
    assert result.returncode == 1, result.stderr
    lost = int(re.search(r"(\d+) events could not be read", result.stdout).group(1))
    saved = FileStore(tmp_path / "saved.duckdb").sql("SELECT event_id, payload FROM events")[1]
    original = dict(FileStore(healthy).sql("SELECT event_id, payload FROM events")[1])
    # every event is saved or counted lost; the lost block's are lost (with neighbours:
    # rows are given up on in ranges of seq), most are saved, and each saved one is intact
    assert len(saved) + lost == len(original)
    assert rows <= lost < len(original) // 2
    assert all(original[event_id] == payload for event_id, payload in saved)


@pytest.mark.slow  # a whole run, 6-9 s: CI runs it, the quick loop does not
def test_careless_queries_are_stopped_and_ingestion_goes_on(store):
    store.append(discovered(100), "before")
    with pytest.raises(StoreError):
        store.sql("SELECT 1; DELETE FROM events")
    with pytest.raises(StoreError, match="memory|stopped"):
        store.sql("SELECT list(range) FROM range(2000000000)", timeout=20)
    # A query that would run for ever holds the file until its time limit; a commit that
    # comes meanwhile waits for it and then goes through.
    slow = subprocess.Popen([sys.executable, "-c", CARELESS, str(store.path)],
                            stdout=subprocess.PIPE, text=True, cwd=CHECKOUT)
    assert slow.stdout.readline().strip() == "holding"  # the query has the file
    assert len(store.append(discovered(10, 100), "during")) == 10
    appended = time.monotonic()
    said, _ = slow.communicate(timeout=60)
    assert len(said.split()) == 2, said
    stopped, released = said.split()
    assert stopped == "stopped" and appended >= float(released)  # it waited for the query
    assert store.sql("SELECT count(*) FROM events")[1][0][0] == 110


# A query that would run for ever, under `newsmon sql`'s limits: it says when it holds the
# file, and when its time limit let go of it.
CARELESS = textwrap.dedent("""
    import sys, time
    from pipeline.store import FileStore, StoreError

    def hold(columns, batches):
        print("holding", flush=True)
        for _ in batches:
            pass

    try:
        FileStore(sys.argv[1]).sql_each("SELECT * FROM range(100000000000)", hold, timeout=3)
    except StoreError as error:
        print("stopped" if "stopped after 3 s" in str(error) else error, time.monotonic(),
              flush=True)
""")


IN_A_DAEMON = textwrap.dedent("""
    import multiprocessing, sys

    def work(queue):
        from pipeline.topics.definitions import load_topics
        from pipeline.ingest.articles import ArticlePlan
        from pipeline.runs.cycle import process_articles
        from pipeline.core.settings import Settings
        plan = ArticlePlan("a", "f", "http://127.0.0.1:1/a.html", "t", None, 1)
        try:
            process_articles([plan], Settings(), load_topics(), None, lambda events: None)
            queue.put("no error")
        except RuntimeError as error:
            queue.put(str(error))

    if __name__ == "__main__":
        queue = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(target=work, args=(queue,), daemon=True)
        child.start()
        print(queue.get(timeout=60))
        child.join()
""")


def test_extraction_in_a_daemonic_process_says_how_to_run_celery(tmp_path):
    # Celery's prefork pool runs tasks in daemonic processes, which may not start the
    # extraction workers: one clear error, not a failed fetch per article
    script = tmp_path / "daemon.py"
    script.write_text(IN_A_DAEMON)
    out = subprocess.run([sys.executable, str(script)], cwd=CHECKOUT, capture_output=True,
                         text=True, timeout=120)
    assert "pool = solo" in out.stdout, out.stderr


# A main script that fails when run a second time in another process, as Airflow's
# `bin/airflow` does in a Celery worker's task process (its database URL is withheld).
RERUN_FAILS = textwrap.dedent("""
    import os, sys
    from datetime import datetime, timezone
    if os.environ.get("TASK_STARTED"):
        raise SystemExit("the main script ran again in a worker")
    os.environ["TASK_STARTED"] = "1"
    from pipeline.topics.definitions import load_topics
    from pipeline.ingest.articles import ArticlePlan
    from pipeline.runs.cycle import process_articles
    from pipeline.core.settings import Settings
    site = sys.argv[1]
    plan = ArticlePlan("a", "f", f"http://{site}/" + sys.argv[2], "t", None, 1)
    found = []
    process_articles([plan], Settings(allow_hosts=frozenset({site}), offline=True, workers=1),
                     load_topics(), lambda: datetime.now(timezone.utc), found.extend)
    print(sorted(e.type for e in found))
""")


def test_extraction_workers_do_not_run_the_main_script_again(tmp_path, serve):
    site = serve(DEMO_SITE)
    page = next(p.relative_to(DEMO_SITE) for p in sorted(DEMO_SITE.rglob("*.html")))
    script = tmp_path / "task.py"
    script.write_text(RERUN_FAILS)
    # before the fix, every worker died at start and was replaced, for ever
    out = subprocess.run([sys.executable, str(script), site.host_port, str(page)], cwd=CHECKOUT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ArticleExtracted" in out.stdout, out.stdout


# A worker forked as its pool closes finds the pool's semaphore gone while it unpickles its
# start-up (cpython#94765): made here on purpose, with a lock that unpickles as a semaphore
# that does not exist.
STARTED_AS_THE_POOL_CLOSES = textwrap.dedent("""
    import _multiprocessing
    from pipeline.extract.forkserver import warm_up_workers, worker_context

    class GoneLock:
        def __reduce__(self):
            return _multiprocessing.SemLock._rebuild, (0, 1, 1, "/newsmon-no-such-semaphore")

    def nothing(lock):
        pass

    if __name__ == "__main__":
        warm_up_workers()
        child = worker_context().Process(target=nothing, args=(GoneLock(),))
        child.start()
        child.join()
        print("worker exit code", child.exitcode)
""")


def test_a_worker_started_as_its_pool_closes_prints_no_traceback(tmp_path):
    script = tmp_path / "closing.py"
    script.write_text(STARTED_AS_THE_POOL_CLOSES)
    out = subprocess.run([sys.executable, str(script)], cwd=CHECKOUT, capture_output=True,
                         text=True, timeout=120)
    assert "worker exit code 1" in out.stdout, out.stderr  # it did fail to start
    assert "Traceback" not in out.stderr and "FileNotFoundError" not in out.stderr, out.stderr


# The workers are forked as the pool opens, beside the first fetch: pebble forks them at
# the first page given to it, and that call waited for them, the event loop with it.
WORKERS_BEFORE_THE_FIRST_PAGE = textwrap.dedent("""
    import time
    from datetime import datetime, timezone
    import psutil
    from pipeline.core.settings import Settings
    from pipeline.extract.pool import ExtractionPool
    from pipeline.topics.definitions import load_topics

    if __name__ == "__main__":
        with ExtractionPool(Settings(workers=2), load_topics(), lambda: datetime.now(timezone.utc)):
            # the fork server is this process's child; the workers are its children
            for _ in range(600):
                servers = psutil.Process().children()
                workers = [w for s in servers for w in s.children()]
                if len(workers) == 2:
                    break
                time.sleep(0.1)
            print("workers before any page:", len(workers))
""")


def test_the_workers_are_forked_when_the_pool_opens(tmp_path):
    script = tmp_path / "opening.py"
    script.write_text(WORKERS_BEFORE_THE_FIRST_PAGE)
    out = subprocess.run([sys.executable, str(script)], cwd=CHECKOUT, capture_output=True,
                         text=True, timeout=180)
    assert "workers before any page: 2" in out.stdout, out.stdout + out.stderr[-2000:]
