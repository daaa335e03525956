import json

import pytest

from pipeline.config import TopicsFile, load_topics
from pipeline.tagging import Tagger, fold, ruleset_version


def tagger(*topics: dict) -> Tagger:
    return Tagger(TopicsFile.model_validate({"topics": list(topics)}))


IRAN = {"id": "iran", "name": "Iran", "all": [["irán", "teherán"], ["venezuel*", "bolivia"]]}
PUNO = {"id": "puno", "name": "Puno", "all": [["puno", "azángaro"], ["protest*", "paro", "road blockade"]],
        "none": ["candelaria"]}


def test_fold_keeps_length_and_removes_case_and_accents():
    text = "IRÁN, Azángaro, Perú, Ñuñoa, İstanbul, São Paulo\u00a0x"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "iran, azangaro, peru, nunoa, istanbul, sao paulo x"


@pytest.mark.parametrize("text", ["Irán y VENEZUELA", "iran and Venezuela's government",
                                  "TEHERAN, Bolivia", "Teherán firma con Venezuela"])
def test_case_and_accent_insensitive(text):
    assert [m.topic for m in tagger(IRAN).tag(text)] == ["iran"]


@pytest.mark.parametrize("text", ["Iranian firms in Venezuela",   # iranian is not the term irán
                                  "Kirán visita Venezuela",        # inside a word
                                  "Irán condena a Israel"])         # second group missing
def test_whole_words_and_every_group(text):
    assert tagger(IRAN).tag(text) == []


def test_prefix_terms_take_the_whole_word_and_offsets_point_into_the_original():
    text = "En Azángaro, los protestantes y manifestantes protestaron ayer."
    match, = tagger(PUNO).tag(text)
    found = {(h.term, h.found) for h in match.hits}
    assert ("protest*", "protestantes") in found and ("protest*", "protestaron") in found
    for hit in match.hits:
        assert text[hit.start:hit.end] == hit.found
    assert ("azángaro", "Azángaro") in found


def test_phrases_match_across_any_whitespace():
    match, = tagger(PUNO).tag("A road\nblockade near Puno")
    assert "road\nblockade" in {h.found for h in match.hits}


def test_exclusion_terms():
    assert tagger(PUNO).tag("Paro en Puno durante la Candelaria") == []


def test_title_counts_and_snippet_is_the_sentence_that_matched():
    text = ("El clima fue templado en Lima. En Puno, los gremios acataron un paro de 48 horas. "
            "Mañana habrá lluvias.")
    match, = tagger(PUNO).tag(text, title="Paro en Puno")
    assert match.snippet == "En Puno, los gremios acataron un paro de 48 horas."
    assert {h.field for h in match.hits} == {"title", "text"}
    assert match.score == 2 * 2 + 2   # two title hits count double, two text hits


def test_ruleset_version_follows_the_definitions():
    one, same = tagger(PUNO), tagger(dict(PUNO))
    other = tagger({**PUNO, "none": []})
    assert one.version == same.version != other.version
    assert ruleset_version(load_topics()) == Tagger(load_topics()).version


def test_default_topics_on_the_labelled_passages(shared):
    """A floor for the bundled rules on the labelled development passages, so a change
    that makes them worse cannot land silently."""
    rows = [json.loads(line) for line in (shared / "tagging/dev.jsonl").open()]
    t = Tagger(load_topics())
    predicted = [{m.topic for m in t.tag(r["text"])} for r in rows]
    scores = []
    for topic in ("china-acquisitions", "iran-ties", "puno-protests"):
        tp = sum(topic in p and topic in r["topics"] for p, r in zip(predicted, rows))
        fp = sum(topic in p and topic not in r["topics"] for p, r in zip(predicted, rows))
        fn = sum(topic not in p and topic in r["topics"] for p, r in zip(predicted, rows))
        scores.append(2 * tp / (2 * tp + fp + fn))
    assert sum(scores) / len(scores) >= 0.94, scores
