import pytest

from pipeline.core.config import ConfigError, load_alerts, load_feeds, load_sites
from pipeline.core.settings import from_env
from pipeline.topics.definitions import load_topics


def write(tmp_path, text: str):
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_files_are_valid():
    feeds, topics = load_feeds(), load_topics()
    assert load_sites().sites  # the bundled site rules parse, XPath and all
    alerts = load_alerts(None, topics.ids)
    assert len(feeds.feeds) >= 20
    assert {t.id for t in topics.topics} == {"china-acquisitions", "iran-ties", "puno-protests"}
    assert alerts.recipients


@pytest.mark.parametrize("text, line, field, words", [
    ("feeds:\n  - id: andina\n    url: https://andina.pe/rss\n  - id: x\n    url: ftp://x/\n",
     5, "feeds[1].url", "http"),
    ("feeds:\n  - id: andina\n    url: https://a.pe/rss\n    colour: red\n", 4, "feeds[0].colour", "Extra"),
    ("feeds:\n  - id: Bad Id\n    url: https://a.pe/rss\n", 2, "feeds[0].id", "pattern"),
    ("feeds:\n  - {id: a, url: 'https://a/1'}\n  - {id: a, url: 'https://a/2'}\n", 1, "feeds", "duplicate"),
    ("feeds: [\n", 2, "", "YAML"),
])
def test_a_bad_feeds_file_names_file_line_and_field(tmp_path, text, line, field, words):
    with pytest.raises(ConfigError) as caught:
        load_feeds(write(tmp_path, text))
    error = caught.value
    assert (error.line, error.field) == (line, field)
    assert words.lower() in error.message.lower()
    assert str(error).startswith(f"{tmp_path / 'file.yaml'}:{line}")


def test_alerts_may_only_name_known_topics(tmp_path):
    path = write(tmp_path, "from: n@example.org\nrecipients:\n  - email: a@example.org\n"
                           "    topics: [puno-protests, mars]\n")
    with pytest.raises(ConfigError, match="unknown topic 'mars'") as caught:
        load_alerts(path, load_topics().ids)
    assert caught.value.line == 4


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_topics(tmp_path / "nope.yaml")


def test_environment_settings():
    s = from_env({"NEWSMON_DB": "/tmp/x.duckdb", "NEWSMON_ALLOW_HOSTS": "127.0.0.1:8765, [::1]:99",
                  "NEWSMON_WORKERS": "3", "NEWSMON_OFFLINE": "1"})
    assert (str(s.db), s.workers, s.offline) == ("/tmp/x.duckdb", 3, True)
    assert s.allow_hosts == {"127.0.0.1:8765", "::1:99"}
    with pytest.raises(ConfigError, match="NEWSMON_WORKERS"):
        from_env({"NEWSMON_WORKERS": "many"})
    with pytest.raises(ConfigError, match="host:port"):
        from_env({"NEWSMON_ALLOW_HOSTS": "127.0.0.1"})
    # a batch of zero would plan no task at all, a negative lock wait never wait
    for name, raw in (("ARTICLE_BATCH", "0"), ("LOCK_WAIT", "-1"), ("EXTRACT_MEMORY_MB", "-5")):
        with pytest.raises(ConfigError, match=f"NEWSMON_{name}.*above zero"):
            from_env({f"NEWSMON_{name}": raw})
    assert from_env({"NEWSMON_EXTRACT_MEMORY_MB": "0"}).extract_memory_mb == 0  # no limit
    assert from_env({"NEWSMON_ARTICLE_BATCH": "10", "NEWSMON_POLL_BATCH": "5"}).article_batch == 10


def test_topic_ids_are_read_without_the_query_language(tmp_path):
    from pipeline.core.config import topic_ids

    assert topic_ids() == load_topics().ids
    # a query the language cannot parse does not stop a command that only names topics
    broken = tmp_path / "topics.yaml"
    broken.write_text("topics:\n  - id: uno\n    name: Uno\n    query: 'puno AND ('\n")
    assert topic_ids(broken) == ["uno"]
