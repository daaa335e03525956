"""Sending mail: the only module that talks SMTP (I/O).

`NEWSMON_SMTP_URL` names the server: `smtps://user:pass@host:465` (TLS from the
start), `smtp://user:pass@host:587` (STARTTLS, required), or `smtp://host:25?tls=none`
for a server on loopback that speaks no TLS.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from pipeline.alerts.errors import SendError


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: str            # implicit, starttls, none
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"not an smtp:// or smtps:// URL: {url!r}")
        query = parse_qs(parts.query)
        if parts.scheme == "smtps":
            tls, port = "implicit", 465
        else:
            tls = "none" if query.get("tls") == ["none"] else "starttls"
            port = 587 if tls == "starttls" else 25
        return cls(parts.hostname, parts.port or port, tls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


def send(message: EmailMessage, server: SmtpServer, timeout: float = 30.0) -> None:
    """Hand one message to the server; a SendError says why it was not accepted."""
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if server.tls == "implicit":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            if server.tls == "starttls":
                client.starttls(context=context)
            if server.user:
                client.login(server.user, server.password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise SendError("auth", _reply(error), retryable=False) from None
    except smtplib.SMTPNotSupportedError as error:
        raise SendError("tls", f"server does not offer STARTTLS: {error}", retryable=False) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        temporary = all(400 <= code < 500 for code in codes)
        refused = "; ".join(f"{who} refused: {code} {_text(reply)}"
                            for who, (code, reply) in error.recipients.items())
        raise SendError("smtp_4xx" if temporary else "smtp_5xx", refused,
                        retryable=temporary) from None
    except smtplib.SMTPResponseException as error:
        temporary = 400 <= error.smtp_code < 500
        raise SendError("smtp_4xx" if temporary else "smtp_5xx", _reply(error),
                        retryable=temporary) from None
    except ssl.SSLError as error:
        raise SendError("tls", str(error), retryable=False) from None
    except (smtplib.SMTPException, OSError) as error:
        raise SendError("connect", f"{type(error).__name__}: {error}", retryable=True) from None


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_text(error.smtp_error)}"


def _text(reply: bytes | str) -> str:
    """A server's reply as the words it sent (smtplib keeps them as bytes)."""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
