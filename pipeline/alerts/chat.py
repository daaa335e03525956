"""Sending alerts to chats and webhooks through Apprise: the only module that talks to
them (I/O). A recipient's `url` is any URL Apprise knows (slack://, msteams://,
tgram://, matrix://, discord://, ntfy://, mmost://, json://...); `${NAME}` in it is read
from the environment here, at sending, so that tokens stay out of files and events.

Apprise says only whether a message went out; why it did not, it logs. The log lines
of the send are caught and read for the HTTP status: a 4xx (but 408 and 429) is final,
the rest is tried again by a later run. Every secret of the URL is masked in what is
recorded.
"""

from __future__ import annotations

import logging
import os
import re

from pipeline.alerts.errors import SendError
from pipeline.core.config import chat_name

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def send(url: str, title: str, body: str) -> None:
    """Post one alert (`body` in Markdown) to the service `url` names; a SendError says
    why it was not accepted."""
    import apprise  # 0.1 s to import, and most runs send nothing to a chat
    address = _expanded(url)
    service = apprise.Apprise.instantiate(address)
    if service is None:
        raise SendError("config", f"not a URL Apprise knows: {chat_name(url) or '?'}", retryable=False)
    with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s %(message)s") as log:
        sent = service.notify(body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN)
        said = log.getvalue()
    if not sent:
        raise _failure(_masked(said, address, service.url(privacy=True)))


def _expanded(url: str) -> str:
    missing = [name for name in _ENV.findall(url) if name not in os.environ]
    if missing:
        raise SendError("config", f"{', '.join(missing)} not set in the environment (named in "
                        f"{url})", retryable=False)
    return _ENV.sub(lambda m: os.environ[m.group(1)], url)


def _failure(said: str) -> SendError:
    # what went wrong, and the socket's words for it (logged under DEBUG); not the payload
    lines = [line.split(" ", 1)[1].strip() for line in said.splitlines()
             if line.startswith(("WARNING ", "ERROR ", "DEBUG Socket Exception"))]
    detail = "; ".join(lines[-3:])[:500] or "the service did not accept the message"
    status = re.search(r"error=(\d{3})\b", said)
    if status:
        code = int(status.group(1))
        final = 400 <= code < 500 and code not in (408, 429)
        return SendError(f"http_{code // 100}xx", detail, retryable=not final)
    if re.search(r"connection error|timed out|timeout", said, re.I):
        return SendError("connect", detail, retryable=True)
    return SendError("service", detail, retryable=True)


def _masked(text: str, url: str, private: str) -> str:
    """`text` without the parts of `url` that Apprise masks in `private` (tokens,
    passwords, webhook ids)."""
    split = re.compile(r"[/:@?&=#,+ ]+")
    shown = set(split.split(private))
    for secret in sorted(set(split.split(url)) - shown, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
