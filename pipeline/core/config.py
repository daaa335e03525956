"""The configuration files (feeds, alerts, sites; topics in topics/definitions.py):
loading and validation.

A bad file is a `ConfigError` that names the file, the line and the field before any
work starts. pydantic does the validation; PyYAML's node marks give the line.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.core.errors import ConfigError
from pipeline.core.resources import data_dir

__all__ = ["ConfigError"]  # raised here, defined in errors.py

_ID = r"^[a-z0-9][a-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SOURCE_KINDS = ("national", "regional", "wire", "state-owned", "international")


class Feed(_Strict):
    """A feed (or a news sitemap) and what its outlet is: the country it reports from (ISO
    3166 code), its language, and its kind, so that "nothing from Bolivia" can be told
    from "no Bolivian outlet read"."""
    id: str = Field(pattern=_ID)
    url: str
    name: str | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    kind: Literal["national", "regional", "wire", "state-owned", "international"] | None = None

    @property
    def source(self) -> dict:
        """What the feeds file says about the outlet, as `FeedConfigured` records it."""
        return {"name": self.name, "country": self.country, "language": self.language,
                "kind": self.kind}

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError("must be an http:// or https:// URL")
        return url


class FeedsFile(_Strict):
    feeds: list[Feed] = Field(min_length=1)

    @field_validator("feeds")
    @classmethod
    def _unique_ids(cls, feeds: list[Feed]) -> list[Feed]:
        _no_duplicates([f.id for f in feeds], "feed id")
        return feeds


class Recipient(_Strict):
    """Who gets which matches, and when: `immediate` after each run that finds some, or
    a `digest` once a day at `digest_at` in `timezone`. The filters narrow the matches:
    article languages, feed ids, a minimum score.

    A recipient is an `email` address or an Apprise `url` (slack://, tgram://, json://,
    mmost://, ntfy://...), in which `${NAME}` is read from the environment at sending, so
    that tokens need not be written in the file. Events, logs and tables name a URL
    recipient by `name`, or else by the URL with its secrets masked."""
    email: str | None = Field(None, pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
    url: str | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    topics: list[str] = Field(min_length=1)
    mode: Literal["immediate", "digest"] = "immediate"
    digest_at: str = Field("07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "America/Lima"
    languages: list[str] | None = None
    sources: list[str] | None = None
    min_score: float | None = None
    # also tell them when an article they were alerted about is revised or taken down
    changes: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (an IANA name like America/Lima)") from None
        return name

    @field_validator("url")
    @classmethod
    def _known_service(cls, url: str) -> str:
        if not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", url):
            raise ValueError("must be an Apprise URL like slack://... or json://host/path")
        if "${" not in url and chat_name(url) is None:
            raise ValueError(f"Apprise does not know the service {url.split(':', 1)[0]}:// "
                             "(see https://appriseit.com/services/)")
        return url

    @model_validator(mode="after")
    def _one_address(self) -> "Recipient":
        if (self.email is None) == (self.url is None):
            raise ValueError("a recipient needs an email or a url, not both")
        return self

    @property
    def key(self) -> str:
        """How events and tables name this recipient."""
        if self.email:
            return self.email
        return self.name or chat_name(self.url or "") or ""


def chat_name(url: str) -> str | None:
    """An Apprise URL with its secrets masked, as Apprise masks them (None: not a URL
    Apprise knows). A URL that takes its secrets from the environment is its own name."""
    if "${" in url:
        return url
    return _masked(url)


@cache
def _masked(url: str) -> str | None:
    import apprise  # only where a recipient is a chat or webhook
    service = apprise.Apprise.instantiate(url)
    return None if service is None else service.url(privacy=True).split("?")[0]


class AlertsFile(_Strict):
    sender: str = Field(alias="from", pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    recipients: list[Recipient] = []
    # where the team publishes `newsmon report`, linked from every alert
    report_url: str | None = Field(None, pattern=r"^https?://\S+$")

    @field_validator("recipients")
    @classmethod
    def _unique_emails(cls, recipients: list[Recipient]) -> list[Recipient]:
        _no_duplicates([r.key.lower() for r in recipients], "recipient")
        return recipients


class Site(_Strict):
    """Extraction rules for one outlet: XPath expressions of the blocks to drop from its
    pages before extraction (related stories, boxed asides that general rules keep)."""
    drop: list[str] = Field(min_length=1)

    @field_validator("drop")
    @classmethod
    def _xpaths(cls, drop: list[str]) -> list[str]:
        import lxml.etree  # only where sites are read: every command loads this module
        for expression in drop:
            try:
                lxml.etree.XPath(expression)
            except lxml.etree.XPathSyntaxError as error:
                raise ValueError(f"{expression!r} is not an XPath expression: {error}") from None
        return drop


def _host_name(host: str) -> str:
    if not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", host):
        raise ValueError(f"{host!r} must be a lower-case host name like elpais.com.uy")
    return host


_HOST = Annotated[str, AfterValidator(_host_name)]


class SitesFile(_Strict):
    # host name -> its rules; they apply to its subdomains too
    sites: dict[_HOST, Site] = {}

    def drop_for(self, url: str | None) -> list[str]:
        """The drop rules of the page's host, or of the nearest parent domain that has some."""
        host = (urlsplit(url).hostname or "") if url else ""
        while host:
            if host in self.sites:
                return self.sites[host].drop
            host = host.partition(".")[2] if host.count(".") > 1 else ""
        return []


def _no_duplicates(ids: list[str], what: str) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r} (entries {seen[value]} and {i})")
        seen[value] = i


def default_path(kind: str) -> Path:
    return data_dir("config") / f"{kind}.yaml"


def load_feeds(path: Path | None = None, origin: str | None = None) -> FeedsFile:
    """The feeds file; `{{origin}}` in it becomes `origin` (the demo's loopback site)."""
    path = path or default_path("feeds")
    return _load(path, FeedsFile, {"{{origin}}": origin} if origin else None)


def load_sites(path: Path | None = None) -> SitesFile:
    return _load(path or default_path("sites"), SitesFile)


class _TopicId(BaseModel):
    id: str


class _TopicIds(BaseModel):
    topics: list[_TopicId]


def topic_ids(path: Path | None = None) -> list[str]:
    """The ids of the topics file's topics, read without the query language
    (`topics/definitions.py` loads and checks the whole file): for a command that only
    names topics, as `newsmon status` names those of its recipients."""
    return [t.id for t in _load(path or default_path("topics"), _TopicIds).topics]


def load_alerts(path: Path | None = None, topics: Iterable[str] | None = None) -> AlertsFile:
    """The alerts file; with `topics` (the ids known), a recipient's unknown topic is an
    error naming the file and the line."""
    path = path or default_path("alerts")
    alerts = _load(path, AlertsFile)
    if topics is not None:
        known = set(topics)
        for i, recipient in enumerate(alerts.recipients):
            for topic in recipient.topics:
                if topic not in known:
                    node = _yaml_node(path)
                    line = _line_of(node, ("recipients", i, "topics"))
                    raise ConfigError(path, line, f"recipients[{i}].topics",
                                      f"unknown topic {topic!r} (known: {', '.join(sorted(known))})")
    return alerts


# libyaml's parser where PyYAML was built with it (its wheels are): the same documents,
# a tenth of the time (the bundled topics file: 4 ms against 48 in Python)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path, model: type[BaseModel], substitutions: dict[str, str] | None = None) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(path, None, "", f"cannot read: {error.strerror or error}") from None
    for placeholder, value in (substitutions or {}).items():
        text = text.replace(placeholder, value)
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ConfigError(path, mark.line + 1 if mark else None, "",
                          f"not valid YAML: {getattr(error, 'problem', error)}") from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        line = _line_of(yaml.compose(text), loc)
        message = first["msg"].removeprefix("Value error, ")
        owner = _owner_id(data, loc)
        raise ConfigError(path, line, field or "(top level)",
                          f"{owner!r}: {message}" if owner else message) from None


def _owner_id(data: Any, loc: tuple) -> str | None:
    """The id of the innermost entry along `loc` that has one (the feed or topic at fault)."""
    owner = None
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            owner = data["id"]
    return owner


def _yaml_node(path: Path) -> yaml.Node | None:
    return yaml.compose(Path(path).read_text(encoding="utf-8"))


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
