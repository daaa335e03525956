"""Extraction quality against labelled pages. Pure.

- Snippets (trafilatura's own evaluation, the es-dev pages): for each page, text that
  must be extracted and boilerplate that must not be; precision counts the boilerplate
  snippets found, recall the text snippets found.
- Words (the Zyte article-extraction benchmark): word-level precision and recall of the
  extracted text against the human-checked article body, averaged over pages.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.extract.page import decode

# (html, url) -> the extracted text
Extractor = Callable[[str, "str | None"], str]
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __str__(self) -> str:
        return f"P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f}"


def read_page(path: Path) -> str:
    return decode(gzip.decompress(path.read_bytes()), None)


def snippet_scores(extract: Extractor, folder: Path) -> Scores:
    found_text = missed_text = found_boilerplate = 0
    for page in json.loads((folder / "snippets.json").read_text(encoding="utf-8")):
        text = " ".join(extract(read_page(folder / page["file"]), page["url"]).split())
        for snippet in page["with"]:
            if " ".join(snippet.split()) in text:
                found_text += 1
            else:
                missed_text += 1
        found_boilerplate += sum(" ".join(s.split()) in text for s in page["without"])
    return Scores(found_text / ((found_text + found_boilerplate) or 1),
                  found_text / ((found_text + missed_text) or 1))


def word_scores(extract: Extractor, folder: Path) -> Scores:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    precision = recall = 0.0
    for page_id, item in truth.items():
        html = read_page(folder / "html" / f"{page_id}.html.gz")
        got = Counter(_WORD.findall(extract(html, item.get("url")).lower()))
        want = Counter(_WORD.findall((item.get("articleBody") or "").lower()))
        common = sum((got & want).values())
        precision += common / sum(got.values()) if got else 0.0
        recall += common / sum(want.values()) if want else 1.0
    return Scores(precision / len(truth), recall / len(truth))
