"""The event log on DuckLake (a PostgreSQL or local catalog, Parquet files): the same
pipeline, views and queries as on a DuckDB file, and each event recorded once however
many processes commit at once. Real PostgreSQL, real DuckLake. (The store's contract,
on every backend, is in test_store.py.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import CHECKOUT

from pipeline.core.settings import Settings
from pipeline.demo.mailcatcher import free_port
from pipeline.demo.run import run_demo
from pipeline.runs.context import NoProgress
from pipeline.store import FileStore, StoreError, open_store

pytestmark = pytest.mark.slow  # real engines: see pyproject.toml

COUNTS = "SELECT type, count(*) FROM events GROUP BY type ORDER BY type"


def lake(postgres, tmp_path, name: str) -> Settings:
    return Settings(db=f"ducklake:postgres:{postgres(name)}", lake_data=str(tmp_path / name),
                    workers=2)


@pytest.fixture(scope="module")
def demo_on_file(tmp_path_factory) -> tuple[Settings, int]:
    """The demo run into a DuckDB file (read, never written, by the tests), and the port
    its site was served on: article ids hold it, so a run to compare uses the same."""
    folder = tmp_path_factory.mktemp("on-file")
    on_file, port = Settings(db=folder / "demo.duckdb", workers=2), free_port()
    run_demo(on_file, port, folder / "mail", NoProgress())
    return on_file, port


def test_the_demo_records_the_same_on_ducklake_as_on_a_file(demo_on_file, tmp_path, request):
    on_file, port = demo_on_file
    file_store = open_store(on_file)
    for catalog in ("local", "postgres"):  # a DuckDB file as the catalog needs no server
        on_lake = (Settings(db=f"ducklake:{tmp_path / 'demo.ducklake'}", workers=2)
                   if catalog == "local" else lake(request.getfixturevalue("postgres"), tmp_path, "demo"))
        run_demo(on_lake, port, tmp_path / "mail", NoProgress())
        lake_store = open_store(on_lake)
        assert type(lake_store).__name__ == "LakeStore"
        for query in (COUNTS, "SELECT topic, count(*) FROM mentions GROUP BY ALL ORDER BY ALL",
                      "SELECT articles, count(*) FROM stories GROUP BY ALL ORDER BY ALL",
                      "SELECT state, count(*) FROM feeds GROUP BY ALL ORDER BY ALL"):
            assert lake_store.sql(query) == file_store.sql(query), (catalog, query)
        if catalog == "local":
            continue
        # a second run records its polls and nothing else new, as on a file (the catalog
        # plays no part in this: checked on the one many processes share)
        before = dict(lake_store.sql(COUNTS)[1])
        run_demo(on_lake, port, tmp_path / "mail", NoProgress())
        after = dict(lake_store.sql(COUNTS)[1])
        grown = {t for t in after if after[t] != before.get(t, 0)}
        assert "FeedPolled" in grown and grown <= {"FeedPolled", "FeedPollFailed"}


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from pipeline.core import events as ev
    from pipeline.core.settings import Settings
    from pipeline.store import FileStore, Store, open_store
    db, data, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(Settings(db=db, lake_data=data))
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    for batch in range(6):
        start = first + 40 * batch
        store.append([ev.article_discovered(f"a{i}", "f", at, url=f"http://x/{i}")
                      for i in range(start, start + 80)], f"writer-{first}")
""")


def test_writers_in_four_processes_record_each_event_once(postgres, tmp_path):
    settings = lake(postgres, tmp_path, "writers")
    store = open_store(settings)
    store.prepare()  # tables before the fan-out
    # four writers whose batches overlap each other's and their own
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, settings.db, settings.lake_data,
                                 str(first)], cwd=CHECKOUT, stderr=subprocess.PIPE, text=True)
               for first in (0, 60, 120, 180)]
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read()
    rows, ids, seqs = store.sql("SELECT count(*), count(DISTINCT event_id), count(DISTINCT seq) "
                                "FROM events")[1][0]
    assert rows == ids == seqs == 180 + 40 * 5 + 80  # a0 .. a459, each once


def test_adhoc_sql_on_ducklake_reads_the_log_and_no_file(postgres, tmp_path):
    settings = lake(postgres, tmp_path, "adhoc")
    store = open_store(settings)
    store.prepare()
    assert store.sql("SELECT count(*) FROM events")[1] == [(0,)]
    with pytest.raises(StoreError, match="reads outside the database"):
        store.sql("SELECT * FROM read_csv('/etc/passwd')")


def test_a_lake_without_a_data_path_is_a_clear_error(postgres):
    with pytest.raises(StoreError, match="NEWSMON_LAKE_DATA"):
        open_store(Settings(db=f"ducklake:postgres:{postgres('nodata')}"))


def test_a_log_moves_to_ducklake_and_back_without_loss_or_copies(demo_on_file, postgres, tmp_path,
                                                                 monkeypatch):
    from pipeline.ui.cli import main

    on_file = demo_on_file[0]
    on_lake = lake(postgres, tmp_path, "moved")
    back = tmp_path / "back.duckdb"
    monkeypatch.setenv("NEWSMON_LAKE_DATA", on_lake.lake_data)  # for the way back
    everything = "SELECT event_id, type, payload, recorded_at, run_id FROM events ORDER BY seq"
    for args in (["--db", str(on_file.db), "--to", on_lake.db, "--to-lake-data", on_lake.lake_data],
                 ["--db", on_lake.db, "--to", str(back)]):
        assert main(["copy-log", *args]) == 0
        assert main(["copy-log", *args]) == 0  # again: nothing to add
    original = open_store(on_file).sql(everything)
    assert open_store(on_lake).sql(everything) == original
    assert FileStore(back).sql(everything) == original
    assert FileStore(back).sql("SELECT count(*) FROM mentions") == open_store(on_file).sql(
        "SELECT count(*) FROM mentions")


def test_an_extension_file_is_checked_before_it_is_first_loaded(tmp_path, monkeypatch):
    # DuckDB checks an extension's signature at every LOAD, a third of a second per
    # connection; a store checks each file once per process, and never skips a new one
    from pipeline.store import lake as lakes

    real = Path(lakes._extension("duckdb_extension_ducklake"))
    forged = tmp_path / real.name
    data = bytearray(real.read_bytes())
    data[len(data) // 2] ^= 0xFF
    forged.write_bytes(bytes(data))
    store = open_store(Settings(db=f"ducklake:{tmp_path / 'catalog.ducklake'}"))
    store.prepare()
    store.prepare()  # the real file, checked once already
    monkeypatch.setattr(lakes, "_extension", lambda package: str(forged))
    with pytest.raises(StoreError, match="signature"):
        store.prepare()
