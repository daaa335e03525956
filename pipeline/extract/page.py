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
import trafilatura

from pipeline.core.text import REPLACEMENT, clean, repair_references
from pipeline.extract import boilerplate, language
from pipeline.ingest.codings import CodingError, decoded

EXTRACTOR = f"trafilatura {trafilatura.__version__}"
# Fewer words than this is a menu or a caption, not an article's text.
MIN_WORDS = 15
MAX_GUNZIPPED = 50_000_000  # a saved page, gzipped; more is a bomb


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
    """The page as text: a byte-order mark; else UTF-8 if the bytes are valid UTF-8;
    else the charset the server declared, if the bytes are valid in it; else the one
    the page declares; else UTF-8 with its few bad bytes replaced, or Windows-1252, the
    web's Latin-1 (a guess by statistics read a Latin-1 page declared as UTF-8 as
    Central European: "ñandú" became "ńandú"). References
    to characters no document may hold are repaired, controls removed. A gzipped file
    is read gzipped (saved pages often are)."""
    if body.startswith(b"\x1f\x8b"):
        try:
            body = decoded(body, "gzip", MAX_GUNZIPPED)
        except CodingError:
            pass  # not gzip after all, or a bomb: read as it is
    for mark, name in _BOMS:
        if body.startswith(mark):
            return _readable(body[len(mark):].decode(name, "replace"))
    # Valid UTF-8 is UTF-8, whatever is declared (sites that moved to UTF-8 keep saying
    # ISO-8859-1), unless a UTF-16 or UTF-32 was declared.
    wide = (charset or "").lower().replace("-", "").startswith(("utf16", "utf32"))
    for declared in (None if wide else "utf-8", charset, _declared_in_page(body)):
        codec = _WEB_NAMES.get((declared or "").lower()) or declared
        if not codec:
            continue
        try:
            codecs.lookup(codec)
            return _readable(body.decode(codec))
        except (LookupError, UnicodeDecodeError):
            continue
    return _readable(_mostly_utf8(body) or body.decode("cp1252", "replace"))


def _mostly_utf8(body: bytes) -> str | None:
    """The page as UTF-8 with its few bad bytes replaced, when more of its characters
    read right as UTF-8 than not; None when it reads better as Windows-1252 (a Latin-1
    page holds hardly any valid UTF-8 sequence)."""
    text = body.decode("utf-8", "replace")
    bad = text.count(REPLACEMENT)
    good = len(text) - len(text.encode("ascii", "ignore")) - bad  # other non-ASCII
    return text if good > bad else None


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# As the WHATWG encoding standard reads these labels.
_WEB_NAMES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
              "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-9": "cp1254"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
                           re.IGNORECASE)


def _declared_in_page(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def _readable(html: str) -> str:
    return clean(repair_references(html)) or ""


def extract_page(html: str, url: str | None = None, feed_published: str | None = None,
                 prune: list[str] | None = None) -> Extraction | None:
    """The article in `html`, or None when the page holds no main text. `prune`: XPath
    expressions of blocks to drop first (the page's site rules, `config/sites.yaml`)."""
    doc = _extract(html, url, prune)
    text = boilerplate.clean(clean(doc.text if doc is not None else None) or "")
    if len(text.split()) < MIN_WORDS:
        # Precision mode can leave a short page with nothing: ask again for all it has.
        doc = _extract(html, url, prune, favor_precision=False, favor_recall=True)
        text = boilerplate.clean(clean(doc.text if doc is not None else None) or "")
    if len(text.split()) < MIN_WORDS:
        return None
    published, source = publication_date(html, doc, feed_published)
    return Extraction(
        title=clean(doc.title),
        text=text,
        language=detect_language(text),
        published=published,
        date_source=source,
        author=clean(doc.author),
        site=clean(doc.sitename) or (urlsplit(url).hostname if url else None),
        canonical_url=doc.url or url,
        description=clean(doc.description),
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
    return language.classify(sample)
