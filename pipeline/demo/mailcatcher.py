"""A real SMTP server on loopback that keeps what it receives as `.eml` files (I/O):
the demo catches its alert emails with it, and the tests check delivery with it."""

from __future__ import annotations

import email
import re
import socket
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller

from pipeline.alerts.message import viewable_html


def free_port(host: str = "127.0.0.1") -> int:
    # aiosmtpd's Controller cannot take port 0, so ask the kernel for a free port first.
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class _Keeper:
    def __init__(self, folder: Path, unknown: frozenset[str]):
        self.folder = folder
        self.unknown = unknown
        self.received: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.lower() in self.unknown:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        data = envelope.original_content or envelope.content
        self.received.append(data)
        match = re.search(rb"^Message-ID:\s*<([^>]+)>", data, re.IGNORECASE | re.MULTILINE)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", match.group(1).decode()) if match else "message"
        stem = self.folder / f"{len(self.received):03d}-{name}"
        stem.with_suffix(".eml").write_bytes(data)
        message = email.message_from_bytes(data, policy=default)
        if message.get_body(("html",)) is not None:  # the same, to open in a browser
            stem.with_suffix(".html").write_text(viewable_html(message), encoding="utf-8")
        return "250 OK"


class MailCatcher:
    """`unknown`: addresses answered with 550 (no such mailbox), as a real server would."""

    def __init__(self, folder: Path | str, host: str = "127.0.0.1",
                 unknown: frozenset[str] = frozenset()):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.keeper = _Keeper(self.folder, frozenset(a.lower() for a in unknown))
        self.host, self.port = host, free_port(host)
        self._controller = Controller(self.keeper, hostname=host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?tls=none"

    @property
    def received(self) -> list[bytes]:
        return self.keeper.received

    def __enter__(self) -> "MailCatcher":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
