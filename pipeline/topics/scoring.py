"""Scoring topic rules against labelled texts: precision, recall and F1 per topic, and
the texts they got wrong. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from pipeline.topics.tagging import Tagger


@dataclass
class TopicScore:
    topic: str
    true_positives: int = 0
    false_positives: list[str] = field(default_factory=list)   # ids of the texts
    false_negatives: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + len(self.false_positives)
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + len(self.false_negatives)
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(tagger: Tagger, labelled: Iterable[dict]) -> dict[str, TopicScore]:
    """`labelled`: dicts with `text`, `topics` (the right answer), and optionally `id`
    and `title`."""
    scores = {t.id: TopicScore(t.id) for t in tagger.definitions.topics}
    for n, item in enumerate(labelled):
        predicted = {m.topic for m in tagger.tag(item.get("text") or "", item.get("title") or "")}
        wanted = set(item.get("topics") or [])
        name = str(item.get("id", n))
        for topic, s in scores.items():
            if topic in predicted and topic in wanted:
                s.true_positives += 1
            elif topic in predicted:
                s.false_positives.append(name)
            elif topic in wanted:
                s.false_negatives.append(name)
    return scores


def macro_f1(scores: dict[str, TopicScore]) -> float:
    return sum(s.f1 for s in scores.values()) / len(scores) if scores else 0.0
