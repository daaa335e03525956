"""Feeds in and out as OPML: an export of a feed reader (folders, a feed listed twice, one
that is not http) into a copy of the bundled feeds file, and back out."""

import shutil
import subprocess
import sys

import listparser
from conftest import CHECKOUT

from pipeline.core.config import load_feeds

READER = CHECKOUT / "tests/data/opml/reader.opml"


def newsmon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          timeout=60)


def test_an_opml_import_adds_what_is_missing_and_keeps_the_file_as_it_was(tmp_path):
    feeds = tmp_path / "feeds.yaml"
    shutil.copy(CHECKOUT / "config/feeds.yaml", feeds)
    before = feeds.read_text()
    result = newsmon("feeds", "import", str(READER), "--feeds", str(feeds))
    # Andina, Los Andes and Pachamama are there already (www., http and a final / aside);
    # Diario Sin Fronteras is in two folders: added once; the ftp feed is refused
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"2 feeds added to {feeds}, 3 already there, 1 invalid")
    assert "invalid ftp://example.org/feed: must be an http:// or https:// URL" in result.stdout
    after = feeds.read_text()
    assert after.startswith(before)  # comments, order and ids untouched
    added = {f.id: (f.url, f.name) for f in load_feeds(feeds).feeds[-2:]}
    assert added == {
        "diario-sin-fronteras": ("https://diariosinfronteras.com.pe/feed/", "Diario Sin Fronteras"),
        "erbol": ("https://www.erbol.com.bo/rss.xml", "Erbol")}
    again = newsmon("feeds", "import", str(READER), "--feeds", str(feeds))
    assert again.stdout.startswith("0 feeds added") and feeds.read_text() == after


def test_the_feeds_go_out_as_opml_a_reader_takes(tmp_path):
    out = tmp_path / "feeds.opml"
    result = newsmon("feeds", "export", "--out", str(out))
    assert result.returncode == 0, result.stderr
    parsed = listparser.parse(out.read_bytes())
    feeds = load_feeds().feeds
    assert not parsed.bozo and sorted(f.url for f in parsed.feeds) == sorted(f.url for f in feeds)
    andina = next(f for f in parsed.feeds if "andina.pe" in f.url)
    assert andina.title == "Andina" and andina.categories == [["PE"]]  # a folder per country
