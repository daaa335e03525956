"""A small HTTP server on loopback that serves a folder of recorded feeds and pages,
as the demo and the tests need them (I/O).

It behaves like a well-kept news site: ETag and Last-Modified with 304 answers to
conditional requests, gzip bodies for files stored as `.gz`, and `{{origin}}` in a
file replaced by the server's own origin, so recorded feeds can link to recorded
pages on whatever port the server has.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import socket
import sys
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_TYPES = {".xml": "application/xml", ".rss": "application/rss+xml",
          ".atom": "application/atom+xml", ".html": "text/html; charset=utf-8",
          ".htm": "text/html; charset=utf-8", ".json": "application/json"}
_TEMPLATED = (".xml", ".rss", ".atom", ".html", ".htm")


class SiteServer:
    def __init__(self, root: Path | str, port: int = 0, host: str = "127.0.0.1"):
        self.root = Path(root).resolve()
        self.requests: list[tuple[str, dict[str, str]]] = []
        # (file, mtime, size) -> body, type and ETag: a file is read and templated once
        self._bodies: dict[tuple[Path, int, int], tuple[bytes, str, str]] = {}
        handler = type("Handler", (_Handler,), {"site": self})
        self._httpd = QuietServer((host, port), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{self.host_port}"

    @property
    def host_port(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> "SiteServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def resolve(self, path: str) -> tuple[Path, bool] | None:
        """The file behind a URL path, and whether it is stored gzipped."""
        relative = unquote(urlsplit(path).path).lstrip("/")
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_file():
            return candidate, candidate.suffix == ".gz"
        gz = candidate.with_name(candidate.name + ".gz")
        if gz.is_file():
            return gz, True
        return None

    def body(self, file: Path, gzipped: bool) -> tuple[bytes, str]:
        """The bytes to send for a file (gzip-encoded when stored so), and their type."""
        name = file.name[:-3] if gzipped else file.name
        suffix = Path(name).suffix.lower()
        content_type = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        data = file.read_bytes()
        if suffix in _TEMPLATED:
            raw = gzip.decompress(data) if gzipped else data
            if b"{{origin}}" in raw:
                raw = raw.replace(b"{{origin}}", self.origin.encode())
                data = gzip.compress(raw, mtime=0) if gzipped else raw
        return data, content_type


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a fetcher with 32 requests in flight
    # overflows it, and the connections left out time out or are reset under load.
    request_queue_size = socket.SOMAXCONN

    def handle_error(self, request, client_address) -> None:
        # Clients that connect and hang up or stop reading (httpx-secure probes an
        # address before using it; fetches give up at their limits) are normal here,
        # not errors to print.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    site: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet: the demo prints its own summary
        pass

    def do_GET(self) -> None:
        self.site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        found = self.site.resolve(self.path)
        if found is None:
            return self._send(404, b"not found", "text/plain")
        file, gzipped = found
        stat = file.stat()
        key = (file, stat.st_mtime_ns, stat.st_size)
        if key not in self.site._bodies:
            data, content_type = self.site.body(file, gzipped)
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            self.site._bodies[key] = data, content_type, etag
        data, content_type, etag = self.site._bodies[key]
        modified = int(stat.st_mtime)
        headers = {"ETag": etag, "Last-Modified": formatdate(modified, usegmt=True)}
        if self.headers.get("If-None-Match") == etag or self._not_modified_since(modified):
            return self._send(304, b"", None, headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        self._send(200, data, content_type, headers)

    def _not_modified_since(self, modified: int) -> bool:
        since = self.headers.get("If-Modified-Since")
        if not since or self.headers.get("If-None-Match"):
            return False
        try:
            return parsedate_to_datetime(since).timestamp() >= modified
        except (TypeError, ValueError):
            return False

    def _send(self, status: int, data: bytes, content_type: str | None,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 304:
            self.wfile.write(data)
