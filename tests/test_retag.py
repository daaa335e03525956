from conftest import fixed_clock

from pipeline.core import events as ev
from pipeline.core.config import Recipient
from pipeline.topics.definitions import TopicsFile
from pipeline.topics.retag import retag
from pipeline.topics.tagging import Tagger, match_event

AT = fixed_clock()()
ARTICLES = {
    "a1": ("Paro en Juliaca", "Los gremios de Juliaca acataron un paro contra el gobierno."),
    "a2": ("Feria en Puno", "La Candelaria llena Puno de danzantes y músicos."),
    "a3": ("Bloqueo en Ilave", "Manifestantes bloquean la vía en Ilave desde la madrugada."),
}


def rules(query: str) -> Tagger:
    return Tagger(TopicsFile.model_validate({"topics": [{"id": "puno", "name": "Puno", "query": query}]}))


OLD = rules("(Juliaca OR Puno) NEAR/s (paro OR Candelaria)")       # fires on the festival
NEW = rules("(Juliaca OR Puno OR Ilave) NEAR/s (paro OR bloque*)")  # fixed, and knows Ilave


def ingest(store, tagger: Tagger) -> None:
    events = []
    for article_id, (title, text) in ARTICLES.items():
        events += [ev.article_discovered(article_id, "f", AT, url=f"https://e.org/{article_id}", title=title),
                   ev.article_extracted(article_id, 1, AT, title=title, text=text)]
        events += [match_event(article_id, m, tagger, AT) for m in tagger.tag(text, title)]
    store.append(events, "ingest")


def current(store) -> dict:
    return dict(store.sql("SELECT article_id, ruleset_version FROM mentions ORDER BY 1")[1])


def test_retag_adds_withdraws_and_is_idempotent(store):
    ingest(store, OLD)
    assert current(store) == {"a1": OLD.version, "a2": OLD.version}
    diff = retag(store, NEW, "retag-1", AT)
    assert (diff.added["puno"], diff.dropped["puno"], diff.kept["puno"]) == (1, 1, 1)
    assert current(store) == {"a1": NEW.version, "a3": NEW.version}
    types = store.sql("SELECT type, article_id FROM events WHERE run_id = 'retag-1' ORDER BY 2")[1]
    assert types == [("TopicMatched", "a1"), ("TopicUnmatched", "a2"), ("TopicMatched", "a3")]
    before = store.sql("SELECT count(*) FROM events")[1][0][0]
    again = retag(store, NEW, "retag-2", AT)
    assert store.sql("SELECT count(*) FROM events")[1][0][0] == before
    assert (again.added["puno"], again.dropped["puno"]) == (0, 0)


def test_history_stays_queryable_and_old_articles_do_not_alert(store):
    ingest(store, OLD)
    retag(store, NEW, "retag", AT)
    as_tagged = store.sql("SELECT article_id FROM mentions_as_tagged ORDER BY 1")[1]
    assert as_tagged == [("a1",), ("a2",)]  # what the old rules said on the day
    daily = store.sql("SELECT sum(articles), sum(articles_as_tagged) FROM topic_daily")[1][0]
    assert tuple(int(n) for n in daily) == (2, 2)
    # a1 was matched on ingestion and is still a match; a3 was found by the re-tag, so it
    # goes to digests only, never to an immediate alert
    from pipeline.alerts.outbox import pending_for
    digest = Recipient(email="x@e.org", topics=["puno"], mode="digest")
    pending = pending_for(store, digest)
    assert {p["article_id"]: p["found_by_retag"] for p in pending} == {"a1": False, "a3": True}
    now = Recipient(email="x@e.org", topics=["puno"])
    assert [p["article_id"] for p in pending_for(store, now)] == ["a1"]


def test_backtest_changes_nothing(store):
    ingest(store, OLD)
    before = store.sql("SELECT count(*) FROM events")[1][0][0]
    diff = retag(store, NEW, "backtest", AT, apply=False)
    assert (diff.added["puno"], diff.dropped["puno"]) == (1, 1)
    assert diff.samples[("added", "puno")] == ["Bloqueo en Ilave"]
    assert diff.samples[("dropped", "puno")] == ["Feria en Puno"]
    assert store.sql("SELECT count(*) FROM events")[1][0][0] == before
