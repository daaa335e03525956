import socket

import pytest
from servers import Route, RouteServer, drip, encode, encoded, gzip_bomb, page, redirect, zeros_bomb

from pipeline.core.settings import Settings
from pipeline.ingest.net import FetchError, fetch, refusal


@pytest.fixture
def servers():
    started = []

    def start(routes=None, host: str = "127.0.0.1") -> RouteServer:
        started.append(RouteServer(routes, host))
        return started[-1]

    yield start
    for server in started:
        server.close()


def allowing(*servers, **changes) -> Settings:
    return Settings(allow_hosts=frozenset(s.host_port for s in servers), deadline=5.0).with_(**changes)


def get(url: str, settings: Settings, max_bytes: int = 1_000_000):
    return fetch(url, settings, max_bytes=max_bytes)


def failure(url: str, settings: Settings, max_bytes: int = 1_000_000) -> FetchError:
    with pytest.raises(FetchError) as caught:
        get(url, settings, max_bytes)
    return caught.value


def test_an_allowed_loopback_origin_is_fetched(servers):
    site = servers({"/a": page(b"<html>hola</html>")})
    response = get(site.origin + "/a", allowing(site))
    assert (response.status, response.body, response.charset) == (200, b"<html>hola</html>", "utf-8")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.1", "2130706433", "[::1]"])
def test_loopback_outside_the_allow_list_is_blocked_and_never_asked(servers, host):
    allowed = servers({"/": page(b"ok")})
    # the canary listens where the URL points: on ::1 for [::1]
    canary = servers({"/": page(b"secret")}, "::1" if host == "[::1]" else "127.0.0.1")
    port = canary.host_port.rsplit(":", 1)[1]
    error = failure(f"http://{host}:{port}/", allowing(allowed))
    assert error.error_class == "blocked"
    assert canary.requests == [] and canary.connections == 0


def test_a_redirect_to_a_private_address_is_blocked_at_the_hop(servers):
    canary = servers({"/admin": page(b"secret")})
    site = servers({"/go": redirect(canary.origin + "/admin")})
    error = failure(site.origin + "/go", allowing(site))
    assert error.error_class == "blocked"
    assert site.requests == ["/go"] and canary.requests == [] and canary.connections == 0


def test_redirect_chains_stop_after_five_hops(servers):
    routes = {f"/{i}": redirect(f"/{i + 1}") for i in range(10)}
    site = servers(routes)
    assert failure(site.origin + "/0", allowing(site)).error_class == "redirects"
    assert len(site.requests) == 6


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.org/x",
                                 "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/"])
def test_refused_before_any_request(url):
    assert refusal(url, Settings()) is not None
    assert failure(url, Settings()).error_class == "blocked"


def test_offline_mode_asks_nobody_outside_the_allow_list():
    error = failure("https://andina.pe/agencia/rss.aspx", Settings(offline=True))
    assert error.error_class == "blocked" and "offline" in error.detail


def test_a_slow_body_stops_at_the_deadline(servers):
    site = servers({"/slow": drip(20)})
    error = failure(site.origin + "/slow", allowing(site, deadline=1.5))
    assert error.error_class == "timeout"


def test_decoded_size_is_capped(servers):
    site = servers({"/big": page(b"x" * 200_000), "/bomb": gzip_bomb(50_000_000)})
    assert failure(site.origin + "/big", allowing(site), max_bytes=100_000).error_class == "too_large"
    assert failure(site.origin + "/bomb", allowing(site), max_bytes=1_000_000).error_class == "too_large"


PAGE = "<html><body><p>Ñandú en Puno: bloqueo de la vía.</p></body></html>".encode() * 50


@pytest.mark.parametrize("codings", [["gzip"], ["deflate"], ["raw-deflate"], ["gzip", "gzip"],
                                     ["deflate", "gzip"], ["gzip", "deflate", "gzip"]])
def test_every_coding_chain_is_undone(servers, codings):
    body = PAGE
    for coding in codings:
        body = encode(body, coding)
    header = ", ".join("deflate" if c == "raw-deflate" else c for c in codings)
    site = servers({"/p": encoded(body, header)})
    assert get(site.origin + "/p", allowing(site)).body == PAGE


@pytest.mark.parametrize("codings", [["gzip", "gzip"], ["deflate", "gzip"], ["gzip", "deflate"],
                                     ["gzip", "gzip", "gzip"]])
def test_a_stacked_bomb_is_capped_while_it_is_decoded(servers, codings):
    bomb = zeros_bomb(200 * 2**20, codings)
    assert len(bomb) < 50_000
    site = servers({"/bomb": encoded(bomb, ", ".join(codings))})
    error = failure(site.origin + "/bomb", allowing(site), max_bytes=1_000_000)
    assert error.error_class == "too_large" and not error.retryable


@pytest.mark.parametrize("header", ["br", "zstd", "compress", "gzip, br", "gzip, gzip, gzip, gzip"])
def test_codings_newsmon_did_not_ask_for_are_refused(servers, header):
    site = servers({"/p": encoded(PAGE, header)})
    error = failure(site.origin + "/p", allowing(site))
    assert error.error_class == "unsupported_encoding" and not error.retryable


def test_newsmon_asks_only_for_the_codings_it_decodes(servers):
    seen = []
    site = servers({"/p": lambda h: (seen.append(h.headers["Accept-Encoding"]), page(PAGE)(h))})
    get(site.origin + "/p", allowing(site))
    assert seen == ["gzip, deflate"]


@pytest.mark.parametrize("status, error_class", [(404, "http_4xx"), (410, "http_4xx"),
                                                 (429, "http_429"), (503, "http_5xx")])
def test_http_errors_have_a_class(servers, status, error_class):
    from servers import send
    site = servers({"/x": lambda h: send(h, status, b"no", {"Retry-After": "120"})})
    error = failure(site.origin + "/x", allowing(site))
    assert (error.error_class, error.status) == (error_class, status)
    assert error.retryable == (status >= 429)
    assert error.headers.get("retry-after") == "120"


def dropped(times: int) -> Route:
    """The connection closed without an answer, the first `times` requests; then a page."""
    count = []

    def route(h) -> None:
        count.append(1)
        if len(count) <= times:
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        page(b"<html>hola</html>")(h)
    return route


def test_a_get_dropped_before_any_answer_is_sent_once_more(servers):
    site = servers({"/a": dropped(1)})
    assert get(site.origin + "/a", allowing(site)).body == b"<html>hola</html>"
    assert site.requests == ["/a", "/a"]


def test_a_get_dropped_twice_is_a_failure_of_the_page(servers):
    site = servers({"/a": dropped(2)})
    error = failure(site.origin + "/a", allowing(site))
    assert error.error_class == "protocol"  # "Server disconnected without sending a response"
    assert site.requests == ["/a", "/a"]


def test_a_body_cut_short_is_not_asked_for_again(servers):
    def cut(h) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b"x" * 10)
        h.close_connection = True
    site = servers({"/a": cut})
    failure(site.origin + "/a", allowing(site))
    assert site.requests == ["/a"]


def test_a_fetcher_keeps_a_bounded_number_of_hosts_open(servers, monkeypatch):
    """A client per host (its own pool of connections), the least recently used closed
    beyond MAX_CLIENTS: a long watch over many outlets holds no more open."""
    import asyncio

    from pipeline.ingest import net
    site = servers({"/a": page(b"<html>hola</html>")})
    port = site.host_port.split(":")[1]
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]   # two hosts
    settings = allowing(site).with_(allow_hosts=frozenset(o.removeprefix("http://") for o in origins))
    monkeypatch.setattr(net, "MAX_CLIENTS", 1)

    async def rounds():
        async with net.Fetcher(settings) as fetcher:
            found = []
            for origin in origins * 2:
                found.append((await fetcher.get(origin + "/a", max_bytes=1000)).body)
                found.append(list(fetcher._clients))
            return found

    assert asyncio.run(rounds()) == [b"<html>hola</html>", ["127.0.0.1"],
                                     b"<html>hola</html>", ["localhost"]] * 2
