"""HTTP content codings (`Content-Encoding`) decoded under a cap on decoded bytes that
holds while decoding. Pure: raw chunks in, decoded pieces out.

httpx decodes each chunk it reads in one call, and a chain in one call per coding: a
2.6 KB body sent as `gzip, gzip` inflates to 1.5 GiB inside one `zlib` call, before
any cap is looked at, and blocks the event loop while it does. Here every coding of
the chain gives out at most STEP bytes at a time (zlib's `max_length`), each piece goes
through the rest of the chain at once, and the caller counts what comes out: memory
stays at a few pieces per coding whatever the body claims, and decoding stops at the
cap. Only the codings newsmon asks for (`ACCEPT`) are decoded; any other is refused.
"""

from __future__ import annotations

import zlib
from typing import Iterator

ACCEPT = "gzip, deflate"
STEP = 64 * 1024
MAX_CODINGS = 3  # a chain longer than this is no server's honest answer


class CodingError(Exception):
    def __init__(self, error_class: str, detail: str):
        super().__init__(f"{error_class}: {detail}")
        self.error_class, self.detail = error_class, detail


class _Zlib:
    """gzip (members one after another, as RFC 1952 allows) or deflate (zlib-wrapped
    as RFC 9110 says, or raw, as some servers send it)."""

    def __init__(self, coding: str):
        self.coding = coding
        self._wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(self._wbits)
        self._started = self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._done:
            return
        if not self._started and data:
            self._started = True
            if self.coding == "deflate" and not _zlib_header(data):
                self._wbits = -zlib.MAX_WBITS
                self._obj = zlib.decompressobj(self._wbits)
        try:
            while data:
                piece = self._obj.decompress(data, STEP)
                if piece:
                    yield piece
                data = self._obj.unconsumed_tail
                if self._obj.eof:
                    if self.coding != "gzip" or not self._obj.unused_data.startswith(b"\x1f\x8b"):
                        self._done = True  # what trails the last member is padding or junk
                        return
                    data = self._obj.unused_data
                    self._obj = zlib.decompressobj(self._wbits)
        except zlib.error as error:
            raise CodingError("bad_encoding", f"{self.coding}: {error}") from None

    def flush(self) -> Iterator[bytes]:
        try:
            piece = self._obj.flush()
        except zlib.error as error:
            raise CodingError("bad_encoding", f"{self.coding}: {error}") from None
        if piece:
            yield piece


def _zlib_header(data: bytes) -> bool:
    return len(data) < 2 or ((data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0)


_CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


class Decoder:
    """A body decoded piece by piece: `feed` each raw chunk, then `flush`. The codings
    are listed as the header lists them, in the order they were applied; they are
    undone last first."""

    def __init__(self, content_encoding: str | None):
        names = [c.strip().lower() for c in (content_encoding or "").split(",")]
        names = [n for n in names if n and n != "identity"]
        if len(names) > MAX_CODINGS:
            raise CodingError("unsupported_encoding",
                              f"{len(names)} content codings stacked: {content_encoding}")
        unknown = [n for n in names if n not in _CODINGS]
        if unknown:
            raise CodingError("unsupported_encoding", f"content coding {unknown[0]!r} "
                              f"(newsmon asks for {ACCEPT} only)")
        self._stages = [_Zlib(_CODINGS[n]) for n in reversed(names)]

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def flush(self) -> Iterator[bytes]:
        for i, stage in enumerate(self._stages):
            for piece in stage.flush():
                yield from self._through(i + 1, piece)

    def _through(self, stage: int, data: bytes) -> Iterator[bytes]:
        if stage == len(self._stages):
            if data:
                yield data
            return
        for piece in self._stages[stage].feed(data):
            yield from self._through(stage + 1, piece)


class CappedBody:
    """A body decoded as it arrives (`feed` each raw chunk, then `finish`), refused as
    too_large as soon as its decoded bytes pass `max_bytes`."""

    def __init__(self, content_encoding: str | None, max_bytes: int):
        self._decoder, self._max = Decoder(content_encoding), max_bytes
        self._pieces: list[bytes] = []
        self._size = 0

    def feed(self, raw: bytes) -> None:
        self._take(self._decoder.feed(raw))

    def finish(self) -> bytes:
        self._take(self._decoder.flush())
        return b"".join(self._pieces)

    def _take(self, pieces: Iterator[bytes]) -> None:
        for piece in pieces:
            self._size += len(piece)
            if self._size > self._max:
                raise CodingError("too_large", f"more than {self._max} bytes once decoded")
            self._pieces.append(piece)


def decoded(body: bytes, content_encoding: str, max_bytes: int) -> bytes:
    """A whole body at once, under the same cap (a gzipped page read from a file)."""
    capped = CappedBody(content_encoding, max_bytes)
    capped.feed(body)
    return capped.finish()
