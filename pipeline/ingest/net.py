"""The only module that talks to the network (I/O).

Outbound HTTP follows links that strangers choose, so every request goes through one
guarded client: httpx with httpx-secure, which checks the resolved address of every
connection (every redirect hop included) and refuses loopback, private, link-local,
CGNAT and ULA addresses. `NEWSMON_ALLOW_HOSTS` names the private origins (host:port)
that may be fetched all the same; in offline mode nothing else is even attempted.
Each request has a total deadline and a cap on decoded bytes, because httpx's own
timeouts are per read and a small gzip body can inflate without bound.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import AsyncIterator, Callable, Mapping
from urllib.parse import urlsplit

import httpx
from httpx_secure import SSRFProtectionError, httpx_ssrf_protection

from pipeline.core.settings import Settings
from pipeline.ingest.codings import ACCEPT, CappedBody, CodingError

MAX_REDIRECTS = 5
MAX_CLIENTS = 256  # hosts whose clients stay open at once: beyond, the idle ones are closed
_NAT64 = IPv6Network("64:ff9b::/96")
# Failures worth another attempt on a later run; the rest are final.
RETRYABLE = frozenset({"timeout", "connect", "network", "protocol", "http_5xx", "http_429"})


class FetchError(Exception):
    def __init__(self, error_class: str, detail: str, status: int | None = None,
                 headers: Mapping[str, str] | None = None):
        super().__init__(f"{error_class}: {detail}")
        self.error_class, self.detail, self.status = error_class, detail, status
        self.headers = dict(headers or {})

    @property
    def retryable(self) -> bool:
        return self.error_class in RETRYABLE


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    elapsed_ms: int = 0
    redirects: int = 0
    moved_to: str | None = None     # where a permanent redirect (301, 308) led


    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'").lower()
        return None


def origin(url: str) -> str:
    """`host:port` of a URL, the form `NEWSMON_ALLOW_HOSTS` uses."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def refusal(url: str, settings: Settings) -> str | None:
    """Why `url` must not be requested at all, or None. Addresses are checked later,
    on every connection, by httpx-secure; this only looks at the URL."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "malformed URL"
    if scheme not in ("http", "https"):
        return f"scheme {scheme or '(none)'!r} is not fetched"
    if not host:
        return "URL has no host"
    if _private_literal(host) and origin(url) not in settings.allow_hosts:
        return f"{host} is not a public address"
    if settings.offline and origin(url) not in settings.allow_hosts:
        return f"offline: {origin(url)} is not in NEWSMON_ALLOW_HOSTS"
    return None


def _private_literal(host: str) -> bool:
    """A host written as a non-public IP address. Only to say early, even offline, that
    such a URL is blocked; the check that protects is httpx-secure's, on every
    connection."""
    try:
        return not ip_address(host).is_global
    except ValueError:
        return False


def _address_policy(allow: frozenset[str]) -> Callable[[str, IPv4Address | IPv6Address, int], bool]:
    def admit(hostname: str, ip: IPv4Address | IPv6Address, port: int) -> bool:
        if f"{hostname.lower()}:{port}" in allow or f"{ip}:{port}" in allow:
            return True
        if isinstance(ip, IPv6Address) and ip in _NAT64:
            return IPv4Address(ip.packed[-4:]).is_global
        if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
            return ip.ipv4_mapped.is_global
        return ip.is_global
    return admit


@functools.cache
def _tls() -> ssl.SSLContext:
    """The CA bundle, read once a process (20-40 ms), not for each host, nor for each
    stage's fetcher: the polls', then the articles', in the start-up's path."""
    return httpx.create_ssl_context()


class Fetcher:
    """An async HTTP client for one stage: `async with Fetcher(settings) as f: await f.get(url)`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # A client, and its pool of connections, per host: httpcore checks every idle
        # connection of a client's pool each time it hands one out (two system calls
        # each), so one client for every host did work that grew with the hosts.
        self._clients: dict[str, httpx.AsyncClient] = {}  # the most recently used last
        self._busy: dict[str, int] = {}                    # requests in flight, by host
        self._open = False
        self._total = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._resolved: dict[tuple[str, int], bool] = {}
        self._admit = _address_policy(settings.allow_hosts)

    async def __aenter__(self) -> "Fetcher":
        self._open = True
        return self

    async def __aexit__(self, *exc) -> None:
        self._open = False
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    @asynccontextmanager
    async def _client(self, url: str) -> AsyncIterator[httpx.AsyncClient]:
        """The client for `url`'s host (redirects elsewhere go on in it), for one request."""
        assert self._open, "use Fetcher as an async context manager"
        host = urlsplit(url).hostname or ""
        client = self._clients.pop(host, None) or self._new_client()
        self._clients[host] = client
        self._busy[host] = self._busy.get(host, 0) + 1
        try:
            yield client
        finally:
            self._busy[host] -= 1
            if not self._busy[host]:
                del self._busy[host]
            while len(self._clients) > MAX_CLIENTS:  # a long watch meets many hosts
                idle = next((h for h in self._clients if h not in self._busy), None)
                if idle is None:
                    break
                await self._clients.pop(idle).aclose()

    def _new_client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            follow_redirects=True, max_redirects=MAX_REDIRECTS, verify=_tls(),
            timeout=httpx.Timeout(self.settings.deadline),
            limits=httpx.Limits(max_connections=self.settings.per_host),
            headers={"user-agent": self.settings.user_agent, "accept-encoding": ACCEPT},
            event_hooks={"request": [self._check_hop]},
        )
        return httpx_ssrf_protection(client, check_globally_reachable=False,
                                     custom_validator=self._admit)

    async def _check_hop(self, request: httpx.Request) -> None:
        url = str(request.url)
        reason = refusal(url, self.settings)
        if reason:
            raise FetchError("blocked", reason)
        host, port = request.url.host, request.url.port or (443 if request.url.scheme == "https" else 80)
        if origin(url) not in self.settings.allow_hosts and not await self._resolves_public(host, port):
            raise FetchError("blocked", f"{host} resolves to a non-public address")

    async def _resolves_public(self, host: str, port: int) -> bool:
        """Whether every address `host` resolves to may be fetched. httpx-secure checks the
        address it connects to, but it may open a TCP probe to a denied one first: asking
        DNS here means a denied address is not even knocked on."""
        if (host, port) not in self._resolved:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as error:
                raise FetchError("connect", f"cannot resolve {host}: {error}") from None
            self._resolved[(host, port)] = all(
                self._admit(host, ip_address(str(info[4][0]).split("%")[0]), port) for info in infos)
        return self._resolved[(host, port)]

    async def get(self, url: str, *, max_bytes: int, headers: Mapping[str, str] | None = None,
                  accept: Callable[[str], bool] | None = None) -> Response:
        """GET `url`; a 2xx or 304 is a Response, anything else a FetchError."""
        reason = refusal(url, self.settings)
        if reason:
            raise FetchError("blocked", reason)
        host = urlsplit(url).hostname or ""
        gate = self._hosts.setdefault(host, asyncio.Semaphore(self.settings.per_host))
        async with self._total, gate:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.settings.deadline):
                    return await self._get(url, started, max_bytes, headers or {}, accept)
            except TimeoutError:
                raise FetchError("timeout", f"no complete answer within "
                                            f"{self.settings.deadline:g} s") from None
            except FetchError:
                raise
            except SSRFProtectionError as error:
                raise FetchError("blocked", str(error)) from None
            except httpx.TooManyRedirects:
                raise FetchError("redirects", f"more than {MAX_REDIRECTS} redirects") from None
            except httpx.TimeoutException as error:
                raise FetchError("timeout", type(error).__name__) from None
            except (httpx.ConnectError, ssl.SSLError) as error:
                text = str(error)
                tls = isinstance(error, ssl.SSLError) or "SSL" in text or "CERTIFICATE" in text
                raise FetchError("tls" if tls else "connect", text or type(error).__name__) from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
                raise FetchError("bad_url", str(error)) from None
            except (httpx.RemoteProtocolError, httpx.DecodingError) as error:
                raise FetchError("protocol", str(error) or type(error).__name__) from None
            except (httpx.HTTPError, OSError) as error:
                raise FetchError("network", str(error) or type(error).__name__) from None

    async def post(self, url: str, form: Mapping[str, str]) -> int:
        """POST a form to `url` (a WebSub hub, which a feed names) through the same
        address checks as a GET; the status of the answer."""
        reason = refusal(url, self.settings)
        if reason:
            raise FetchError("blocked", reason)
        try:
            async with asyncio.timeout(self.settings.deadline), self._client(url) as client:
                answer = await client.post(url, data=dict(form))
        except TimeoutError:
            raise FetchError("timeout", f"no answer within {self.settings.deadline:g} s") from None
        except SSRFProtectionError as error:
            raise FetchError("blocked", str(error)) from None
        except (httpx.HTTPError, OSError) as error:
            raise FetchError("network", str(error) or type(error).__name__) from None
        return answer.status_code

    async def _get(self, url: str, started: float, max_bytes: int, headers: Mapping[str, str],
                   accept: Callable[[str], bool] | None) -> Response:
        try:
            return await self._answer(url, started, max_bytes, headers, accept)
        except _Unanswered:
            # The server closed or reset the connection before any answer: a kept-alive
            # connection it dropped just as it was reused, or a moment's overload. The GET
            # is sent once more, on a new connection, as browsers do; a second such
            # failure is the page's (a network failure, retried at a later run).
            return await self._answer(url, started, max_bytes, headers, accept, last=True)

    async def _answer(self, url: str, started: float, max_bytes: int, headers: Mapping[str, str],
                      accept: Callable[[str], bool] | None, last: bool = False) -> Response:
        answered = False
        try:
            async with self._client(url) as client, client.stream("GET", url, headers=dict(headers)) as r:
                answered = True
                return await self._read(r, started, max_bytes, accept)
        except (httpx.ReadError, httpx.RemoteProtocolError) as error:
            if answered or last:
                raise
            raise _Unanswered() from error

    async def _read(self, r: httpx.Response, started: float, max_bytes: int,
                    accept: Callable[[str], bool] | None) -> Response:
        head = {k.lower(): v for k, v in r.headers.items()}
        moved = str(r.url) if any(h.status_code in (301, 308) for h in r.history) else None
        if r.status_code == 304:
            return Response(str(r.url), 304, head, b"", _ms(started), len(r.history), moved)
        if r.status_code >= 400 or r.status_code < 200:
            kind = "http_429" if r.status_code == 429 else f"http_{r.status_code // 100}xx"
            raise FetchError(kind, f"HTTP {r.status_code} {r.reason_phrase}", r.status_code, head)
        content_type = head.get("content-type", "").split(";")[0].strip().lower()
        if accept is not None and not accept(content_type):
            raise FetchError("unsupported_type", f"content type {content_type or '(none)'!r}",
                             r.status_code)
        declared = head.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError("too_large", f"Content-Length {declared} over {max_bytes} bytes",
                             r.status_code)
        try:
            body = await _decoded_body(r, head.get("content-encoding"), max_bytes)
        except CodingError as error:
            raise FetchError(error.error_class, error.detail, r.status_code) from None
        return Response(str(r.url), r.status_code, head, body, _ms(started),
                        len(r.history), moved)


class _Unanswered(Exception):
    """A GET the server dropped before answering."""


async def _decoded_body(r: httpx.Response, content_encoding: str | None, max_bytes: int) -> bytes:
    """The body, decoded by `codings` rather than by httpx, whose decoding of a chunk
    has no cap (see codings.py)."""
    body = CappedBody(content_encoding, max_bytes)
    async for raw in r.aiter_raw():
        body.feed(raw)
    return body.finish()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def fetch(url: str, settings: Settings, *, max_bytes: int,
          accept: Callable[[str], bool] | None = None) -> Response:
    """One guarded GET outside any stage (`newsmon extract URL`)."""
    async def one() -> Response:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url, max_bytes=max_bytes, accept=accept)
    return asyncio.run(one())
