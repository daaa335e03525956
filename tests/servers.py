"""Loopback HTTP servers that misbehave on purpose, for the network tests."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler
from typing import Callable

from pipeline.demo.siteserver import QuietServer

Route = Callable[[BaseHTTPRequestHandler], None]


class RouteServer:
    """Serves `routes` (path -> function writing the response) on a free loopback port and
    records every request it gets; a path not in `routes` is a 404."""

    def __init__(self, routes: dict[str, Route] | None = None, host: str = "127.0.0.1"):
        self.routes = routes or {}
        self.requests: list[str] = []
        self.connections = 0      # TCP connections, whether or not a request followed
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def setup(self) -> None:
                server.connections += 1
                super().setup()

            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    return send(self, 404, b"not found")
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        kind = QuietServer if ":" not in host else type("V6", (QuietServer,), {
            "address_family": socket.AF_INET6})
        self._httpd = kind((host, 0), Handler)
        self.host = host
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @property
    def host_port(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self._httpd.server_address[1]}"

    @property
    def origin(self) -> str:
        return "http://" + self.host_port

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes,
         headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def page(body: bytes, content_type: str = "text/html; charset=utf-8") -> Route:
    return lambda h: send(h, 200, body, {"Content-Type": content_type})


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: send(h, status, b"", {"Location": location})


def drip(seconds: int) -> Route:
    """A body that arrives one byte a second."""
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(seconds))
        h.end_headers()
        for _ in range(seconds):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(1)
    return route


def gzip_bomb(decoded_bytes: int) -> Route:
    body = gzip.compress(b"\0" * decoded_bytes)
    return lambda h: send(h, 200, body, {"Content-Encoding": "gzip"})


def encode(data: bytes, coding: str) -> bytes:
    """`data` in one content coding: gzip, deflate (zlib-wrapped), raw-deflate (as some
    servers send "deflate"), or anything else as it is (a coding newsmon cannot decode)."""
    if coding == "gzip":
        return gzip.compress(data, mtime=0)
    if coding in ("deflate", "raw-deflate"):
        packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS if coding == "deflate" else -15)
        return packer.compress(data) + packer.flush()
    return data


def zeros_bomb(decoded_bytes: int, codings: list[str]) -> bytes:
    """`decoded_bytes` zeros in the `codings` applied in order (the header's order),
    built a megabyte at a time: a 1.5 GiB bomb never sits in memory here either."""
    first, rest = codings[0], codings[1:]
    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if first == "gzip" else zlib.MAX_WBITS)
    block, parts = b"\0" * 2**20, []
    for _ in range(decoded_bytes // len(block)):
        parts.append(packer.compress(block))
    body = b"".join(parts) + packer.flush()
    for coding in rest:
        body = encode(body, coding)
    return body


def encoded(body: bytes, header: str, content_type: str = "text/html; charset=utf-8") -> Route:
    """`body`, already encoded, sent with this Content-Encoding header."""
    return lambda h: send(h, 200, body, {"Content-Encoding": header, "Content-Type": content_type})


class HookServer:
    """A webhook receiver on loopback: POSTs to any path, answered as `plan` says (per
    path, one answer a request in order: "500", "404", "drop": the request read, the
    connection closed without an answer; 200 once the plan is done). `accepted` holds,
    per path, the JSON of each request it answered 2xx: what a receiver took in."""

    def __init__(self, plan: dict[str, list[str]] | None = None):
        import json
        self.plan, self.accepted, self.answers = dict(plan or {}), {}, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                planned = server.plan.get(self.path, [])
                answer = planned.pop(0) if planned else "200"
                server.answers.append((self.path, answer))
                if answer == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if answer.startswith("2"):
                    server.accepted.setdefault(self.path, []).append(json.loads(body))
                send(self, int(answer), b"{}", {"Content-Type": "application/json"})

        self._httpd = QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def connections_taken(address: tuple[str, int], clients: int = 64, wait: float = 3.0) -> int:
    """How many of `clients` connections opened at once a listening socket takes before
    anything accepts them: what its listen backlog holds. (A backlog too short turns a
    fetcher's burst of requests into timeouts and resets.)"""
    import selectors

    waiting, taken = selectors.DefaultSelector(), 0
    sockets = [socket.socket() for _ in range(clients)]
    try:
        for sock in sockets:
            sock.setblocking(False)
            sock.connect_ex(address)
            waiting.register(sock, selectors.EVENT_WRITE)
        deadline = time.monotonic() + wait
        while waiting.get_map() and time.monotonic() < deadline:
            for key, _ in waiting.select(deadline - time.monotonic()):
                waiting.unregister(key.fileobj)
                taken += key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    finally:
        for sock in sockets:
            sock.close()
    return taken
