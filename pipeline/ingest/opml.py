"""Feeds in and out as OPML, the list every feed reader imports and exports.

Import reads the OPML with listparser (folders, duplicates and odd encodings as readers
write them) and adds the feeds the feeds file lacks at its end, as lines in the file's
own style, so its comments and existing ids stay as they are; the result is checked by
the same model as any feeds file before it replaces the old one. Export writes OPML 2.0,
one folder per country.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import listparser
import lxml.etree as etree
from pydantic import ValidationError

from pipeline.core.config import Feed, FeedsFile, load_feeds
from pipeline.core.text import fold


@dataclass
class Imported:
    added: list[Feed] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (url, why)
    invalid: list[tuple[str, str]] = field(default_factory=list)   # (url or title, why)


def import_opml(opml: bytes, feeds_path: Path) -> Imported:
    """Add the OPML's feeds that `feeds_path` lacks (by URL) to it; report the rest."""
    parsed = listparser.parse(opml)
    if parsed.bozo and not parsed.feeds:
        raise ValueError(f"not an OPML file: {parsed.bozo_exception}")
    current = load_feeds(feeds_path)
    urls = {_same(f.url) for f in current.feeds}
    ids = {f.id for f in current.feeds}
    result = Imported()
    for item in parsed.feeds:
        url, title = (item.url or "").strip(), " ".join((item.title or "").split())
        if _same(url) in urls:
            result.skipped.append((url, "already in the feeds file"))
            continue
        try:
            feed = Feed(id=_new_id(title or url, ids), url=url, name=title or None)
        except ValidationError as error:
            result.invalid.append((url or title, error.errors()[0]["msg"].removeprefix("Value error, ")))
            continue
        urls.add(_same(url))
        ids.add(feed.id)
        result.added.append(feed)
    if result.added:
        _append(feeds_path, result.added)
    return result


def export_opml(feeds: FeedsFile, title: str = "newsmon feeds") -> bytes:
    """OPML 2.0 of the feeds, a folder per country (feeds without one at the top)."""
    root = etree.Element("opml", version="2.0")
    etree.SubElement(etree.SubElement(root, "head"), "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for feed in feeds.feeds:
        parent = body
        if feed.country:
            if feed.country not in folders:
                folders[feed.country] = etree.SubElement(body, "outline", text=feed.country,
                                                         title=feed.country)
            parent = folders[feed.country]
        attributes = {"type": "rss", "text": feed.name or feed.id, "title": feed.name or feed.id,
                      "xmlUrl": feed.url}
        if feed.language:
            attributes["language"] = feed.language
        etree.SubElement(parent, "outline", attributes)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _same(url: str) -> str:
    """A URL as far as telling two feeds apart goes: scheme, `www.` and a final / aside."""
    return re.sub(r"^https?://(www\.)?", "", url.strip().lower()).rstrip("/")


def _new_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:40].strip("-") or "feed"
    if not base[0].isalnum():
        base = "feed-" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _append(path: Path, feeds: list[Feed]) -> None:
    """The feeds as lines at the end of the file (its `feeds:` list is all it holds),
    indented as its items are; written beside it and checked before it replaces it."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r"^(\s*)- ", text, re.M)
    indent = found.group(1) if found else "  "
    lines = []
    for feed in feeds:
        values = {"id": feed.id, "url": feed.url, "name": feed.name}
        parts = [f"{key}: {_quoted(value)}" for key, value in values.items() if value]
        lines.append(f"{indent}- {{{', '.join(parts)}}}")
    updated = text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(updated)
        load_feeds(Path(scratch))  # the same checks as any feeds file, before it counts
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def _quoted(value: str) -> str:
    """A YAML double-quoted string (JSON's escaping is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)
