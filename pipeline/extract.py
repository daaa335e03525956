"""One HTML page to its text and metadata. Pure: bytes in, an `Extraction` out.

trafilatura finds the main text and the metadata; htmldate (its date library) is asked
again, in its guessing mode, only when neither the feed nor the page's structured
metadata gives a date, so a guessed date is always marked as one. py3langid names
the language.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import htmldate
import py3langid
import trafilatura
from trafilatura.utils import decode_file

EXTRACTOR = f"trafilatura {trafilatura.__version__}"
# Fewer words than this is a menu or a caption, not an article's text.
MIN_WORDS = 15
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Extraction:
    title: str | None
    text: str
    language: str | None
    published: str | None       # ISO 8601
    date_source: str | None     # feed, page, guess, or None when no date was found
    author: str | None
    site: str | None
    canonical_url: str | None
    description: str | None
    word_count: int
    extractor: str = EXTRACTOR


def decode(body: bytes, charset: str | None) -> str:
    """The page as text: the declared charset if it decodes cleanly, else trafilatura's
    detection (UTF-8, then a guess)."""
    if charset:
        try:
            codecs.lookup(charset)
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_file(body)


def clean_text(text: str | None) -> str | None:
    """Valid UTF-8 with no NUL or control characters (newlines and tabs stay)."""
    if text is None:
        return None
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", text)


def extract_page(html: str, url: str | None = None,
                 feed_published: str | None = None) -> Extraction | None:
    """The article in `html`, or None when the page holds no main text."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, fast=True, include_comments=False,
        date_extraction_params={"extensive_search": False, "original_date": True})
    text = clean_text(doc.text if doc is not None else None)
    if not text or len(text.split()) < MIN_WORDS:
        return None
    published, source = feed_published, "feed" if feed_published else None
    if not published and doc.date:
        published, source = doc.date, "page"
    if not published:
        guess = htmldate.find_date(html, extensive_search=True, original_date=True)
        if guess:
            published, source = guess, "guess"
    return Extraction(
        title=clean_text(doc.title),
        text=text,
        language=detect_language(text),
        published=published,
        date_source=source,
        author=clean_text(doc.author),
        site=clean_text(doc.sitename) or (urlsplit(url).hostname if url else None),
        canonical_url=doc.url or url,
        description=clean_text(doc.description),
        word_count=len(text.split()),
    )


def detect_language(text: str) -> str | None:
    sample = text[:4000]
    if len(sample.split()) < 5:
        return None
    language, _score = py3langid.classify(sample)
    return language
