"""Feeds in and out as OPML, the list every feed reader imports and exports.

Import reads the OPML with listparser (folders, duplicates and odd encodings as readers
write them) and adds the feeds the feeds file lacks (`feedsfile.py`). Export writes OPML 2.0,
one folder per country.
"""

from __future__ import annotations

from pathlib import Path

import listparser
import lxml.etree as etree

from pipeline.core.config import FeedsFile
from pipeline.ingest.feedsfile import Added, add_feeds


def import_opml(opml: bytes, feeds_path: Path) -> Added:
    """Add the OPML's feeds that `feeds_path` lacks (by URL) to it; report the rest."""
    parsed = listparser.parse(opml)
    if parsed.bozo and not parsed.feeds:
        raise ValueError(f"not an OPML file: {parsed.bozo_exception}")
    return add_feeds(feeds_path, [(item.url or "", item.title or "") for item in parsed.feeds])


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
