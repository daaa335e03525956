import base64
import json

import pytest

from pipeline.stories import clustering as stories
from pipeline.stories.clustering import Clusterer, jaccard, shingles, signature


def cluster(texts: dict[str, str]) -> dict[str, str]:
    clusterer = Clusterer([], lambda ids: {i: texts[i] for i in ids})
    return {i: clusterer.assign(i, t, signature(t)).story_id for i, t in texts.items()}


@pytest.mark.parametrize("cache", [1000, 1])  # 1: every candidate's text is read again
def test_the_known_wire_copies_and_nothing_else(shared, monkeypatch, cache):
    monkeypatch.setattr(stories, "SHINGLE_CACHE", cache)
    rows = [json.loads(line) for line in (shared / "tagging/dev.jsonl").open()]
    found = cluster({r["id"]: r["text"] for r in rows})
    together = {}
    for article, story in found.items():
        together.setdefault(story, set()).add(article)
    groups = [g for g in together.values() if len(g) > 1]
    assert groups == [{"p148", "p149"}]  # ft-chancay-2024: one story, lightly rewritten


def test_an_article_joins_the_story_of_its_earlier_copy_across_runs():
    original = ("La Comisión del Indecopi autorizó la compra de Enel Distribución Perú por China "
                "Southern Power Grid International, sujeta a condiciones de conducta que la "
                "compradora deberá cumplir en el mercado eléctrico de Lima.")
    copy = original.replace("autorizó", "aprobó").replace("deberá cumplir", "tendrá que cumplir")
    other = "Los gremios de Puno acataron un paro de 48 horas contra el gobierno regional."
    first = Clusterer([], lambda ids: {})
    a = first.assign("a", original, signature(original))
    # a later run knows the first article only by its signature and stored text
    later = Clusterer([("a", a.story_id, signature(original))], lambda ids: {"a": original})
    b = later.assign("b", copy, signature(copy))
    c = later.assign("c", other, signature(other))
    assert (b.story_id, b.similar_to) == ("a", "a") and b.similarity >= 0.5
    assert (c.story_id, c.similar_to) == ("c", None)
    assert later.assign("b", copy, signature(copy)).story_id == "a"  # decided once


def test_a_story_put_in_a_commit_is_recorded_only_with_its_extraction(tmp_path):
    # `newsmon run` puts a batch's articles in stories in the batch's own commit: when
    # another run recorded the same fetch attempt first, the extraction that follows it
    # is not recorded, and neither is the story made from that extraction
    from dataclasses import replace
    from datetime import datetime, timezone

    from pipeline.core import events as ev
    from pipeline.store import FileStore
    from pipeline.stories.stage import Clustering
    at = datetime(2026, 12, 5, tzinfo=timezone.utc)
    store = FileStore(tmp_path / "s.duckdb")
    store.append([ev.article_discovered(a, "f", at, url=f"http://x/{a}", title=a) for a in ("a1", "a2")]
                 + [ev.article_fetched("a1", 1, at, url="http://x/a1", status=200)], "other-run")
    text = "Los gremios de Puno acataron un paro de 48 horas contra el gobierno regional."
    batch = []
    for article in ("a1", "a2"):
        fetched = ev.article_fetched(article, 1, at, url=f"http://x/{article}", status=200)
        extracted = ev.article_extracted(article, 1, at, title=article, text=text, language="es",
                                         minhash=signature(text))
        batch += [fetched, replace(extracted, follows=fetched.event_id)]
    clustering = Clustering(store, "this-run", lambda: at)
    made = clustering.stories_of([e for e in batch if e.type == ev.ARTICLE_EXTRACTED])
    assert [e.article_id for e in made] == ["a1", "a2"]
    store.append(batch + made, "this-run")
    recorded = store.sql("SELECT article_id, type FROM events WHERE run_id = 'this-run' ORDER BY seq")[1]
    assert recorded == [("a2", "ArticleFetched"), ("a2", "ArticleExtracted"), ("a2", "StoryClustered")]


def test_the_story_stage_files_what_is_left_a_batch_a_commit_at_a_time(tmp_path, monkeypatch):
    # what a run left without a story (or another process committed), CLUSTER_BATCH
    # articles to a commit, each once, in the order they were discovered
    from datetime import datetime, timezone

    from pipeline.core import events as ev
    from pipeline.store import FileStore
    from pipeline.stories import stage
    monkeypatch.setattr(stage, "CLUSTER_BATCH", 2)
    at = datetime(2026, 12, 5, tzinfo=timezone.utc)
    wire = "La Comisión del Indecopi autorizó la compra de Enel Distribución Perú por China Southern."
    texts = {"a1": wire, "a2": "Los gremios de Puno acataron un paro de 48 horas.", "a3": wire,
             "a4": "Irán y Venezuela firmaron acuerdos de cooperación.", "a5": wire}
    store = FileStore(tmp_path / "s.duckdb")
    store.append([e for a, text in texts.items() for e in (
        ev.article_discovered(a, "f", at, url=f"http://x/{a}", title=a),
        ev.article_extracted(a, 1, at, title=a, text=text, language="es", minhash=signature(text)))], "r")
    clustering = stage.Clustering(store, "r", lambda: at)
    clustering()
    rows = store.sql("SELECT article_id, payload->>'story_id', recorded_at FROM events "
                     "WHERE type = 'StoryClustered' ORDER BY seq")[1]
    assert [(a, story) for a, story, _ in rows] == [("a1", "a1"), ("a2", "a2"), ("a3", "a1"),
                                                    ("a4", "a4"), ("a5", "a1")]
    assert len({when for *_, when in rows}) == 3 and clustering.copies == 2
    clustering()  # nothing left
    assert store.sql("SELECT count(*) FROM events WHERE type = 'StoryClustered'")[1] == [(5,)]


def test_shingles_ignore_case_and_accents():
    assert shingles("Irán y Perú").tolist() == shingles("IRAN Y PERU").tolist()
    assert jaccard(shingles("a b c"), shingles("a b d")) == 1 / 3


def test_signatures_are_datasketchs_minhash_bit_for_bit(shared):
    # signatures are stored in the log and compared with those of earlier runs: they
    # must stay what datasketch's MinHash gives, which computed them before
    import datasketch

    def theirs(text: str) -> str:
        minhash = datasketch.MinHash(num_perm=stories.NUM_PERM, seed=stories.SEED,
                                     scheme=stories.SCHEME)
        minhash.update_batch([f"{a} {b}".encode() for a, b in stories.bigrams(text)])
        return base64.b64encode(minhash.hashvalues.astype("<u4").tobytes()).decode()

    rows = [json.loads(line) for line in (shared / "tagging/dev2.jsonl").open()]
    texts = [r["text"] for r in rows] + ["", "una", "Irán y Perú", "ñandú " * 500]
    ours = [signature(t) for t in texts]
    assert ours == [theirs(t) for t in texts]
    assert len(set(ours)) > len(rows) * 0.9  # not one value for all


def test_the_bands_find_what_datasketchs_lsh_finds(shared):
    # the bands are datasketch's choice for this threshold, and candidates are the keys
    # whose signatures share a band with the query's, as its MinHashLSH finds them
    import datasketch
    import numpy as np

    def minhash(sig: str) -> datasketch.MinHash:
        values = np.frombuffer(base64.b64decode(sig), dtype="<u4").astype(np.uint64)
        return datasketch.MinHash(num_perm=stories.NUM_PERM, seed=stories.SEED,
                                  scheme=stories.SCHEME, hashvalues=values)

    lsh = datasketch.MinHashLSH(threshold=stories.CANDIDATE_THRESHOLD, num_perm=stories.NUM_PERM)
    assert (lsh.b, lsh.r) == (stories.BANDS, stories.ROWS)
    rows = [json.loads(line) for line in (shared / "tagging/dev.jsonl").open()]
    sigs = {r["id"]: signature(r["text"]) for r in rows}
    bands = stories.Bands()
    for key, sig in sigs.items():
        lsh.insert(key, minhash(sig))
        bands.insert(key, sig)
    found = {key: bands.query(sig) for key, sig in sigs.items()}
    assert found == {key: set(lsh.query(minhash(sig))) for key, sig in sigs.items()}
    assert sum(len(c) > 1 for c in found.values()) > 10  # not only each text itself
