"""Extraction quality, newsmon against bare trafilatura (its default settings) on the
same pages: on the Spanish pages of es-dev, the snippet measure of trafilatura's own
evaluation (text that must be found, boilerplate that must not); on the Zyte benchmark,
word-level precision, recall and F1 against the human-checked article bodies. "General
rules" leaves out config/sites.yaml, whose rules were found on some of these pages: it is
the figure to expect on outlets without rules."""

from __future__ import annotations

import trafilatura

from bench.common import SHARED
from bench.scores import snippet_scores, word_scores
from pipeline.core.config import load_sites
from pipeline.extract.page import extract_page

_SITES = load_sites()


def bare(html: str, url: str | None) -> str:
    return trafilatura.extract(html, url=url) or ""


def general(html: str, url: str | None) -> str:
    """newsmon's extraction with its general rules only."""
    result = extract_page(html, url)
    return result.text if result else ""


def ours(html: str, url: str | None) -> str:
    """newsmon's extraction as the pipeline runs it, with the bundled site rules."""
    result = extract_page(html, url, prune=_SITES.drop_for(url))
    return result.text if result else ""


def run() -> list[tuple[str, str, str]]:
    rows = []
    for name, measure, folder in (("es-dev, snippets", snippet_scores, SHARED / "articles/es-dev"),
                                  ("zyte, words", word_scores, SHARED / "articles/zyte-aeb")):
        a, b, c = (measure(extract, folder) for extract in (bare, general, ours))
        rows.append((f"{name}: bare trafilatura (defaults)", str(a), ""))
        rows.append((f"{name}: newsmon, general rules", str(b), f"F1 {b.f1 / a.f1:.3f} of bare"))
        rows.append((f"{name}: newsmon, with site rules", str(c), f"F1 {c.f1 / a.f1:.3f} of bare"))
    return rows
