"""Article identity from URLs. Pure.

The same article reaches us under many URLs: with tracking parameters, over http and
https, as an AMP page, on `www.` or `m.` hosts, with a fragment. `canonical_url` folds
those variants into one key so the same article in two feeds is one article. courlan
(trafilatura's own URL library) does the general normalisation and tracker removal;
the folds on top of it are the news-specific ones it leaves alone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url
from courlan.clean import clean_query

from pipeline.core.events import stable_id

_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_AMP_QUERY = {("outputtype", "amp"), ("amp", ""), ("amp", "1"), ("amp", "true"),
              ("_amp", "true"), ("output", "amp")}
_AMP_SUFFIX = re.compile(r"/amp/?$|\.amp$", re.IGNORECASE)
_AMP_EXTENSION = re.compile(r"\.amp(\.html?)$", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """The identity of the page behind `url`; not necessarily a URL to fetch."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:  # not a URL we could fetch anyway: it is its own identity
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    try:
        normal = urlsplit(normalize_url(urlunsplit(parts._replace(query="")),
                                        trailing_slash=False))
    except ValueError:  # courlan refuses some malformed hosts and ports
        normal = parts
    host = normal.netloc.lower()
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    path = _AMP_EXTENSION.sub(r"\1", _AMP_SUFFIX.sub("", normal.path))
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit(("https", host, path or "/", _clean_query(parts.query), ""))


def _clean_query(query: str) -> str:
    """The query without trackers and AMP switches, sorted. A part with no `=`, as in
    `redirect.mp3?http://host/file.mp3`, is kept whole: it can be the whole address."""
    kept = []
    for part in filter(None, query.split("&")):
        key, sep, value = part.partition("=")
        if sep and (key.lower(), value.lower()) in _AMP_QUERY:
            continue
        if not sep and part.lower() == "amp":
            continue
        if sep and not clean_query(part):  # courlan's tracker rules
            continue
        kept.append(part)
    return "&".join(sorted(kept))


def article_id(canonical: str) -> str:
    return stable_id("article", canonical)
