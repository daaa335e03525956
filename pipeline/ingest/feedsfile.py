"""Adding feeds to the feeds file, in its own style: as lines at the end of its `feeds:`
list, indented as its items are, so its comments and existing ids stay as they are; the
result is checked by the same model as any feeds file before it replaces the old one.
Used by `feeds import` (OPML) and `feeds discover --add`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pydantic import ValidationError

from pipeline.core.config import Feed, load_feeds
from pipeline.core.text import fold


@dataclass
class Added:
    added: list[Feed] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (url, why)
    invalid: list[tuple[str, str]] = field(default_factory=list)   # (url or title, why)


def add_feeds(feeds_path: Path, candidates: Iterable[tuple[str, str]]) -> Added:
    """Add the feeds (url, title) that `feeds_path` lacks (by URL) to it; report the rest."""
    current = load_feeds(feeds_path)
    urls = {same_feed(f.url) for f in current.feeds}
    ids = {f.id for f in current.feeds}
    result = Added()
    for url, title in candidates:
        url, title = (url or "").strip(), " ".join((title or "").split())
        if same_feed(url) in urls:
            result.skipped.append((url, "already in the feeds file"))
            continue
        try:
            feed = Feed(id=_new_id(title or url, ids), url=url, name=title or None)
        except ValidationError as error:
            result.invalid.append((url or title, error.errors()[0]["msg"].removeprefix("Value error, ")))
            continue
        urls.add(same_feed(url))
        ids.add(feed.id)
        result.added.append(feed)
    if result.added:
        _append(feeds_path, result.added)
    return result


def same_feed(url: str) -> str:
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
