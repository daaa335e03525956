"""The topics file: topics, each a query in the language of `rules.py`, and the alias
sets they share; loaded and validated like the other configuration files."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator

from pipeline.core.config import (
    _ID,
    ConfigError,
    _line_of,
    _load,
    _no_duplicates,
    _Strict,
    _yaml_node,
    default_path,
)
from pipeline.topics import rules


class Topic(_Strict):
    """A topic and the query that decides whether an article is about it (the query
    language is described in `rules.py` and the README)."""
    id: str = Field(pattern=_ID)
    name: str
    query: str
    description: str | None = None

    @field_validator("query")
    @classmethod
    def _parses(cls, query: str) -> str:
        rules.parse(query)  # a QueryError is a ValueError: pydantic reports it
        return query


class TopicsFile(_Strict):
    # name -> the names of one entity (terms or phrases, `prefix*`, or `@other-alias`)
    aliases: dict[str, list[str]] = {}
    topics: list[Topic] = Field(min_length=1)

    @field_validator("aliases")
    @classmethod
    def _alias_terms(cls, aliases: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, entries in aliases.items():
            if not re.match(_ID, name):
                raise ValueError(f"alias name {name!r} must be lower case letters, digits, - or _")
            if not entries:
                raise ValueError(f"alias @{name} is empty")
            for entry in entries:
                if entry.startswith("@"):
                    if entry[1:] not in aliases:
                        raise ValueError(f"alias @{name} includes unknown alias {entry}")
                else:
                    rules.term(entry)
        return aliases

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    @field_validator("topics")
    @classmethod
    def _unique_ids(cls, topics: list[Topic]) -> list[Topic]:
        _no_duplicates([t.id for t in topics], "topic id")
        return topics


def load_topics(path: Path | None = None) -> TopicsFile:
    path = path or default_path("topics")
    topics = _load(path, TopicsFile)
    for i, topic in enumerate(topics.topics):
        unknown = sorted(rules.aliases_used(rules.parse(topic.query)) - set(topics.aliases))
        if unknown:
            raise ConfigError(path, _line_of(_yaml_node(path), ("topics", i, "query")),
                              f"topics[{i}].query", f"topic {topic.id!r} uses unknown alias "
                              f"@{unknown[0]} (defined: {', '.join(sorted(topics.aliases)) or 'none'})")
    return topics
