import subprocess
import sys
import textwrap
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from conftest import CHECKOUT, fixed_clock

from pipeline.core import events as ev
from pipeline.core.settings import Settings
from pipeline.store import FileStore, Store, StoreBusy, StoreError, open_store
from pipeline.store.schema import VIEWS

AT = fixed_clock()()
# the DuckLake runs of the contract take most of this file's time: `-m "not slow"` skips them
BACKENDS = ["file", pytest.param("ducklake-local", marks=pytest.mark.slow),
            pytest.param("ducklake-postgres", marks=pytest.mark.slow)]


def backend(kind: str, tmp_path, request) -> Settings:
    """Settings for an empty store of one kind: a DuckDB file, DuckLake with its catalog
    in a local DuckDB file, DuckLake with a PostgreSQL catalog (skipped without one)."""
    if kind == "file":
        return Settings(db=tmp_path / "events.duckdb")
    if kind == "ducklake-local":
        return Settings(db=f"ducklake:{tmp_path / 'catalog.ducklake'}")
    database = request.getfixturevalue("postgres")(f"store_{uuid.uuid4().hex}")
    return Settings(db=f"ducklake:postgres:{database}", lake_data=str(tmp_path / "lake"))


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Store:
    """Every test taking `store` is the store's contract, and runs on every backend."""
    return open_store(backend(request.param, tmp_path, request).with_(lock_wait=5))


@pytest.fixture
def file_store(tmp_path) -> Store:
    return FileStore(tmp_path / "events.duckdb", lock_wait=5)


def some_events(n: int = 3) -> list[ev.Event]:
    found = [ev.feed_polled("f", 1, AT, url="http://x/feed", status=200, entries=n)]
    for i in range(n):
        found.append(ev.article_discovered(f"a{i}", "f", AT, poll=found[0].event_id,
                                           url=f"http://x/{i}", title=f"título {i}"))
    return found


def count(store: Store, sql: str = "SELECT count(*) FROM events") -> int:
    return store.sql(sql)[1][0][0]


def test_append_is_idempotent(store):
    batch = some_events()
    assert len(store.append(batch, "run-1")) == 4
    assert store.append(batch, "run-2") == set()
    assert store.append(batch + batch, "run-3") == set()
    assert count(store) == 4


def test_a_batch_carrying_one_event_twice_appends_it_once(store):
    batch = some_events(1)
    new = store.append(batch + batch[1:], "run")
    assert len(new) == 2 and count(store) == 2


def test_a_run_report_counts_an_event_carried_twice_once():
    from pipeline.runs.context import Report

    batch, report = some_events(2), Report()
    report.record(batch + batch, {e.event_id for e in batch[1:]})  # the poll was known
    assert report.appended == {"ArticleDiscovered": 2}


def test_seq_follows_append_order_across_batches(store):
    first, second = some_events(2), [ev.feed_polled("g", 1, AT, url="http://y/feed")]
    store.append(first, "r1")
    store.append(second, "r2")
    rows = store.sql("SELECT seq, event_id, run_id FROM events ORDER BY seq")[1]
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert [r[1] for r in rows] == [e.event_id for e in first + second]
    assert [r[2] for r in rows] == ["r1", "r1", "r1", "r2"]


def test_payload_and_lifted_columns_round_trip(store):
    e = ev.topic_matched("art", "puno-protests", "v1", AT, score=2.0, snippet="Bloqueo en Ilave ñ")
    store.append([e], "r")
    row = store.sql("SELECT type, stream, article_id, topic, payload->>'snippet', "
                    "occurred_at FROM events")[1][0]
    assert row[:5] == ("TopicMatched", "article:art", "art", "puno-protests", "Bloqueo en Ilave ñ")
    assert row[5] == AT


def test_a_small_batch_is_recorded_as_a_large_one_is(tmp_path, monkeypatch):
    # a batch of SMALL_BATCH events or fewer goes to DuckDB as JSON, a larger one as
    # Arrow: the log holds the same rows either way
    from pipeline.store import base
    lima = timezone(timedelta(hours=-5))
    fetched = ev.article_fetched("a1", 1, AT.astimezone(lima), url="http://x/1", status=200)
    events = some_events(2) + [fetched] + [replace(e, follows=fetched.event_id) for e in [
        ev.article_extracted("a1", 1, AT, title='Quote " \\ back\x00slash 😀', text="ñandú\n\ttab",
                             language="es", published=None),
        ev.topic_matched("a1", "puno-protests", "v1", AT, score=1.5, snippet="Ilave", terms=[])]]
    logs = []
    for small in (base.SMALL_BATCH, 0):
        monkeypatch.setattr(base, "SMALL_BATCH", small)
        store = FileStore(tmp_path / f"small-{small}.duckdb")
        assert store.append(events, "r") == {e.event_id for e in events}
        logs.append(store.sql("SELECT * EXCLUDE (recorded_at), typeof(occurred_at) FROM events "
                              "ORDER BY seq")[1])
    assert logs[0] == logs[1] and len(logs[0]) == len(events)
    assert logs[0][-1][-1] == "TIMESTAMP WITH TIME ZONE"


def test_views_are_disposable(file_store):
    store = file_store
    store.append(some_events(), "r")
    before = {v: store.sql(f"SELECT * FROM {v} ORDER BY ALL")[1] for v in VIEWS}
    con = duckdb.connect(str(store.path))
    for view in VIEWS:
        con.execute(f"DROP VIEW {view}")
    con.close()
    store.append([], "r")          # nothing to append: views stay dropped
    with store.writer():           # any write connection puts them back
        pass
    after = {v: store.sql(f"SELECT * FROM {v} ORDER BY ALL")[1] for v in VIEWS}
    assert after == before


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pipeline.core.settings import Settings, db_location
    from pipeline.store import FileStore, Store, open_store
    store = open_store(Settings(db=db_location(sys.argv[1]), lake_data=sys.argv[2] or None))
    with store.sole_writer():
        print("locked", flush=True)
        time.sleep(float(sys.argv[3]))
        print("releasing at", time.monotonic(), flush=True)  # the last thing it does holding it
""")


def hold_lock(store: Store, seconds: float) -> subprocess.Popen:
    """Another process holding the store as its writer for a while."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store.path),
                               getattr(store, "data_path", ""), str(seconds)],
                              cwd=CHECKOUT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_process_waits_for_the_lock(store):
    store.append(some_events(1), "r1")
    holder = hold_lock(store, 1.5)
    try:
        assert store.append(some_events(2), "r2")   # waits, then appends
        appended_at = time.monotonic()
        # only once the holder had let go (its exit, later, is no proof of anything)
        assert appended_at > float(holder.stdout.readline().split()[-1])
    finally:
        holder.wait()
    assert count(store) == 3


def test_a_lock_that_stays_is_a_clear_error(store):
    store.lock_wait = 0.5
    store.append(some_events(1), "r")
    holder = hold_lock(store, 5)
    try:
        with pytest.raises(StoreBusy, match="in use by another process|another writer held"):
            store.append(some_events(2), "r2")
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("statement", [
    "INSERT INTO events SELECT * FROM events",
    "DELETE FROM events",
    "CREATE TABLE x AS SELECT 1",
    "COPY events TO '/tmp/newsmon-leak.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "ATTACH '/tmp/other.duckdb' AS other",
    "INSTALL httpfs",
    "SET enable_external_access = true",
])
def test_adhoc_sql_cannot_write_or_reach_files(store, statement):
    store.append(some_events(), "r")
    with pytest.raises(StoreError):
        store.sql(statement)
    assert count(store) == 4


def writable_places(store: Store) -> list[Path]:
    """Where a statement slipped through would write: the store's own directories."""
    if getattr(store, "data_path", None):
        return [Path(store.data_path)]
    return [store.path.parent, Path(f"{store.path}.tmp")]


def files_under(places: list[Path]) -> dict[str, tuple[int, int]]:
    return {str(f): (f.stat().st_size, f.stat().st_mtime_ns)
            for place in places if place.exists() for f in place.rglob("*") if f.is_file()}


def test_adhoc_sql_is_judged_by_what_it_does_not_its_first_word(store):
    store.append(some_events(), "r")
    places = writable_places(store)
    target = places[-1] / "events-overwritten.parquet"
    catalog = getattr(store, "local", None) or store.path
    before = files_under(places)
    attempts = [f"EXPLAIN ANALYZE COPY (SELECT * FROM events) TO '{target}'",
                f"explain /* a comment */ analyze COPY events TO '{target}'",
                f"EXPLAIN COPY events TO '{target}'",
                "EXPLAIN ANALYZE DELETE FROM events",
                "EXPLAIN EXPLAIN ANALYZE INSERT INTO events SELECT * FROM events",
                f"SELECT size FROM read_blob('{catalog}')",
                f"SELECT * FROM read_parquet('{places[0]}/**/*.parquet')",
                f"SELECT * FROM '{places[0]}/main/events/x.parquet'",
                f"SELECT * FROM glob('{places[0]}/*')",
                "SELECT * FROM query('SELECT 1')",
                "SELECT getenv('HOME')",
                "PRAGMA table_info('events')",
                "SELECT 1; SELECT 2"]
    for statement in attempts:
        with pytest.raises(StoreError):
            store.sql(statement)
    assert files_under(places) == before and not target.exists()
    assert count(store) == 4
    # what analysts do stays open, EXPLAIN of a query included
    for statement in ["EXPLAIN ANALYZE SELECT count(*) FROM articles", "DESCRIBE events",
                      "SUMMARIZE SELECT seq FROM events", "FROM range(3)",
                      "SELECT * FROM duckdb_views() WHERE NOT internal",
                      "WITH x AS (SELECT 1 AS one) SELECT one FROM x", "SHOW TABLES"]:
        assert store.sql(statement)[1] is not None, statement


def test_adhoc_sql_stops_at_its_time_limit(store):
    store.append(some_events(), "r")
    started = time.monotonic()
    with pytest.raises(StoreError, match="stopped"):
        store.sql("SELECT count(*) FROM range(100000000000) a", timeout=0.5)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("kind", BACKENDS)
def test_reading_a_missing_store_says_what_to_do(kind, tmp_path, request):
    with pytest.raises(StoreError, match="newsmon run"):
        open_store(backend(kind, tmp_path, request)).sql("SELECT 1")


def test_a_log_written_with_the_old_unique_key_is_moved_over(tmp_path):
    # before 0.2 event_id was UNIQUE, and DuckDB rewrote that index at every commit
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(open(CHECKOUT / "sql/schema.sql").read().replace(
        "event_id       VARCHAR NOT NULL,", "event_id       VARCHAR NOT NULL UNIQUE,"))
    con.execute("INSERT INTO events VALUES (1, 'e1', 'FeedPolled', 'feed:f', now(), now(), 'r', "
                "1, '{}', 'f', NULL, NULL)")
    con.close()
    store = FileStore(path)
    assert len(store.append(some_events(), "r")) == 4
    assert store.append(some_events(), "r") == set()
    assert store.sql("SELECT seq, event_id FROM events ORDER BY seq")[1][0] == (1, "e1")
    assert count(store) == 5
    assert count(store, "SELECT count(*) FROM duckdb_constraints() "
                        "WHERE constraint_type = 'UNIQUE'") == 0


def test_threads_appending_the_same_events_record_each_once(store):
    batches = [some_events(50) for _ in range(6)]  # equal batches: the same ids
    with ThreadPoolExecutor(max_workers=6) as pool:
        new = list(pool.map(lambda b: store.append(b, "r"), batches))
    assert sum(len(n) for n in new) == 51
    assert count(store, "SELECT count(DISTINCT event_id) FROM events") == count(store) == 51


def test_two_runs_deciding_one_fetch_attempt_differently_leave_one_account(store):
    # Two runs at once fetched the same attempt: one timed out, the other extracted it.
    fetched = ev.article_fetched("a", 1, AT, url="http://x/a", status=200)
    succeeded = [ev.article_discovered("a", "f", AT, url="http://x/a"), fetched] + [
        replace(e, follows=fetched.event_id) for e in (
            ev.article_extracted("a", 1, AT, text="Paro en Puno", title="t"),
            ev.topic_matched("a", "puno-protests", "v1", AT, score=1.0))]
    timed_out = [ev.article_fetch_failed("a", 1, AT, url="http://x/a", error_class="timeout")]
    assert fetched.event_id == timed_out[0].event_id  # one attempt, one id
    store.append(timed_out, "run-b")  # the failure is committed first
    assert store.append(succeeded, "run-a") == {succeeded[0].event_id}
    types = [t for (t,) in store.sql("SELECT type FROM events ORDER BY seq")[1]]
    assert types == ["ArticleFetchFailed", "ArticleDiscovered"]  # no extraction of a failed fetch
    assert store.append(succeeded, "run-a") == set()  # its retry: nothing more


def test_a_fetch_committed_first_takes_its_extraction_with_it(store):
    fetched = ev.article_fetched("a", 1, AT, url="http://x/a", status=200)
    following = [replace(ev.article_extracted("a", 1, AT, text="x"), follows=fetched.event_id)]
    assert store.append([fetched, *following], "run-a") == {fetched.event_id, following[0].event_id}
    assert store.append([ev.article_fetch_failed("a", 1, AT, error_class="timeout")], "run-b") == set()
    assert [t for (t,) in store.sql("SELECT type FROM events ORDER BY seq")[1]] == [
        "ArticleFetched", "ArticleExtracted"]


def test_ids_the_read_models_have_not_applied_yet_are_known_too(store):
    # An append looks ids up through a read model (event_keys) and in the log beyond
    # what the read models applied: appended earlier in the same transaction...
    batch = some_events(2)
    fetched = ev.article_fetched("a0", 1, AT, url="http://x/0", status=200)
    extracted = replace(ev.article_extracted("a0", 1, AT, text="x"), follows=fetched.event_id)
    with store.transaction("run") as tx:
        assert len(tx.append(batch + [fetched])) == 4
        assert tx.append(batch) == set()
        assert tx.append([ev.article_fetch_failed("a0", 1, AT, error_class="timeout"),
                          replace(extracted, event_id="other")]) == set()  # follows the fetch
    assert count(store) == 4
    assert store.append([extracted], "again") == set()  # the fetch it follows, applied
    # ... and written into the log by something that did not apply them
    with store.sole_writer() as con:
        con.execute("UPDATE newsmon_projections SET applied_seq = 2")
        con.execute("DELETE FROM event_keys WHERE seq > 2")
    assert store.append(batch + [fetched, extracted], "later") == set()  # it follows the fetch
    tagged = ev.topic_matched("a0", "puno-protests", "v1", AT, score=1.0)
    assert store.append([tagged, *batch], "later") == {tagged.event_id}
    assert count(store) == 5 and count(store, "SELECT count(DISTINCT event_id) FROM events") == 5


def test_a_runs_top_matches_are_the_strongest_current_ones_of_each_topic(file_store):
    def article(a: str, day: int, score: float, topic: str = "t") -> list[ev.Event]:
        published = (AT - timedelta(days=day)).isoformat()
        return [ev.article_discovered(a, "f", AT, url=f"http://x/{a}", title=a, published=published),
                ev.topic_matched(a, topic, "v1", AT, score=score, snippet=f"s {a}")]
    events = [*article("low", 1, 1.0), *article("old", 9, 3.0), *article("new", 1, 3.0),
              *article("tie-b", 9, 3.0), *article("best", 5, 5.0), *article("other", 1, 2.0, "u"),
              *article("gone", 1, 9.0), ev.topic_unmatched("gone", "t", "v2", AT),  # withdrawn
              ev.topic_matched("lost", "t", "v1", AT, score=9.0)]  # never discovered
    file_store.append(events, "r")
    rows = file_store.rows("top_matches", {"per_topic": 3})
    # by score, then the latest published, then the article's id
    assert [(r["topic"], r["title"], r["score"], r["snippet"]) for r in rows] == [
        ("t", "best", 5.0, "s best"), ("t", "new", 3.0, "s new"), ("t", "old", 3.0, "s old"),
        ("u", "other", 2.0, "s other")]
    every = file_store.rows("top_matches", {"per_topic": 10})
    assert [r["title"] for r in every] == ["best", "new", "old", "tie-b", "low", "other"]


def test_a_feeds_volume_is_counted_by_day_against_its_usual(store):
    now = datetime.now(timezone.utc)
    events = [ev.feed_polled(f, 1, now, url=f"http://{f}/rss", status=200) for f in ("f", "g")]
    # f: 40 articles over the 28 days before last week, one in it; g: 10 last week only
    events += [ev.article_discovered(f"f{i}", "f", now - timedelta(days=8 + i % 27), url=f"u{i}")
               for i in range(40)]
    events += [ev.article_discovered("f-new", "f", now - timedelta(days=1), url="u-new")]
    events += [ev.article_discovered(f"g{i}", "g", now - timedelta(days=i % 6), url=f"v{i}")
               for i in range(10)]
    store.append(events, "r")
    rows = store.sql("SELECT feed_id, articles_7d, usual_7d, volume_low FROM feeds ORDER BY 1")[1]
    assert rows == [("f", 1, 10.0, True), ("g", 10, 0.0, False)]
