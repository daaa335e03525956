"""One HTML page to its text and metadata. Pure: bytes in, an `Extraction` out.

trafilatura, in precision mode, finds the main text and the metadata (and in recall mode
when precision leaves too little); `boilerplate.py` removes the teasers and pitches it
lets through. The date comes from the feed, the page's metadata, the visible date line
(dateparser reads Spanish and Portuguese) or, last and marked as such, htmldate's guess.
py3langid names the language.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import dateparser
import htmldate
import lxml.etree
import lxml.html
import py3langid
import trafilatura
from trafilatura.utils import decode_file

from . import boilerplate

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
    date_source: str | None     # feed, page, text, guess; None when no date was found
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


def extract_page(html: str, url: str | None = None, feed_published: str | None = None,
                 prune: list[str] | None = None) -> Extraction | None:
    """The article in `html`, or None when the page holds no main text. `prune`: XPath
    expressions of blocks to drop first (the page's site rules, `config/sites.yaml`)."""
    doc = _extract(html, url, prune)
    text = boilerplate.clean(clean_text(doc.text if doc is not None else None) or "")
    if len(text.split()) < MIN_WORDS:
        # Precision mode can leave a short page with nothing: ask again for all it has.
        doc = _extract(html, url, prune, favor_precision=False, favor_recall=True)
        text = boilerplate.clean(clean_text(doc.text if doc is not None else None) or "")
    if len(text.split()) < MIN_WORDS:
        return None
    published, source = publication_date(html, doc, feed_published)
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


# trafilatura's settings, first pass. `fast=True` (no fallback extractors) takes about a
# third less time but loses 0.013 of word F1 on the Zyte pages: see bench/extraction.py.
OPTIONS = {"with_metadata": True, "include_comments": False, "favor_precision": True,
           "date_extraction_params": {"extensive_search": False, "original_date": True}}


def _extract(html: str, url: str | None, prune: list[str] | None, **mode):
    return trafilatura.bare_extraction(html, url=url, prune_xpath=prune or None,
                                       **{**OPTIONS, **mode})


def publication_date(html: str, doc, feed_published: str | None) -> tuple[str | None, str | None]:
    """The date and where it came from, most trusted first: the feed; the page's
    structured metadata (JSON-LD, article:published_time, <time datetime>, the URL);
    the date line readers see (Spanish, Portuguese or English); a guess from anywhere in
    the page. Never the time of fetching."""
    if feed_published:
        return feed_published, "feed"
    if doc is not None and doc.date:
        return doc.date, "page"
    line = visible_date(html)
    if line:
        return line, "text"
    guess = htmldate.find_date(html, extensive_search=True, original_date=True)
    return (guess, "guess") if guess else (None, None)


# Elements that hold a date line, outside the site's navigation and footer (where a
# header shows today's date, not the article's).
_DATE_LINE = ("(//time[not(@datetime)] | //*[contains(@class, 'fecha') or contains(@class, 'date') "
              "or contains(@class, 'published') or contains(@class, 'publicado') "
              "or contains(@class, 'data-publicacao')][not(self::meta)])"
              "[not(ancestor::nav or ancestor::footer or ancestor::header[not(ancestor::article)])]")


def visible_date(html: str) -> str | None:
    """The first date line on the page that reads as a full date ("Jueves, 21 de abril
    de 2022", "21/04/2022", "April 21, 2022")."""
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    for element in tree.xpath(_DATE_LINE)[:30]:
        pieces = [" ".join(piece.split()) for piece in element.itertext()][:10]
        # the whole line ("Jueves, <span>21 de abril</span> de 2022"), then each piece
        # of it ("Jueves, 21 de abril de 2022" beside "21/04/2022")
        for line in [" ".join(filter(None, pieces))] + pieces:
            when = _read_date(line[:80])
            if when:
                return when
    return None


def _read_date(line: str) -> str | None:
    if not re.search(r"\d{4}", line):
        return None
    when = dateparser.parse(line, languages=["es", "pt", "en"],
                            settings={"REQUIRE_PARTS": ["day", "month", "year"],
                                      "DATE_ORDER": "DMY"})
    return when.date().isoformat() if when else None


def detect_language(text: str) -> str | None:
    # The first 500 characters (some 80 words) name the language as the whole text does
    # on every page and labelled passage we have, at a fraction of the cost: py3langid
    # walks the text byte by byte in Python, 0.6 ms for 1,500 characters, 0.25 for 500.
    sample = text[:500]
    if len(sample.split()) < 5:
        return None
    language, _score = py3langid.classify(sample)
    return language
