"""Every fetched article page kept as a WARC record (I/O, through warcio), so that what a
page said when it was read can be shown later, whatever the outlet did to it since.

One `response` record per successful fetch, gzip per record, in files rotated by size
in the archive folder (`NEWSMON_ARCHIVE`; by default `<store>.warc/` beside a store
file). The record's id is made from the `ArticleFetched` event's id, and the event
names the record (file, offset, id). The body is kept as decoded (the response's
Content-Encoding applied and its header dropped), which is what was read.

A file being written is `<name>.warc.gz.open`: each record goes in whole, in one write,
and the file is renamed once closed. A process killed mid-write leaves an `.open` file
whose last record may be cut short; the next archive opened on the folder on this host
cuts it back to its last whole record and closes it, so that readers never meet half a
record. Each process writes its own files (Airflow's mapped tasks included).
"""

from __future__ import annotations

import io
import os
import socket
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime
from http.client import responses
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.core.settings import Settings

ROTATE_BYTES = 100_000_000
GZIP_LEVEL = 3
OPEN = ".open"
_DROPPED = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class Stored:
    file: str        # its name in the archive folder (without `.open` once closed)
    offset: int
    record_id: str

    def as_payload(self) -> dict:
        return {"warc_file": self.file, "warc_offset": self.offset, "warc_record_id": self.record_id}


class Archive:
    """A writer of WARC files for one process: `with Archive(folder) as a: a.keep(...)`."""

    def __init__(self, folder: Path, rotate_bytes: int = ROTATE_BYTES):
        self.folder, self.rotate_bytes = Path(folder), rotate_bytes
        self._file: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._count = 0

    def __enter__(self) -> "Archive":
        self.folder.mkdir(parents=True, exist_ok=True)
        repair_abandoned(self.folder)
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def keep(self, url: str, status: int, headers: dict[str, str], body: bytes,
             at: datetime, event_id: str) -> Stored:
        """Write one response record; where it is."""
        return self.put(*record(url, status, headers, body, at, event_id))

    def put(self, member: bytes, record_id: str) -> Stored:
        """Write one record made by `record` (in the thread that owns the archive)."""
        out = self._current(len(member))
        offset = out.tell()
        out.write(member)  # the record whole, or (killed) cut back on repair
        out.flush()
        assert self._path is not None
        return Stored(self._path.name.removesuffix(OPEN), offset, record_id)

    def _current(self, coming: int) -> io.BufferedWriter:
        if self._file is not None and self._file.tell() + coming > self.rotate_bytes and self._file.tell():
            self._close()
        if self._file is None:
            self._count += 1
            name = (f"newsmon-{datetime.now():%Y%m%d%H%M%S}-{socket.gethostname()}-{os.getpid()}-"
                    f"{self._count}.warc.gz{OPEN}")
            self._path = self.folder / name
            self._file = open(self._path, "ab")
        return self._file

    def _close(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._path.rename(self._path.with_name(self._path.name.removesuffix(OPEN)))
        self._file = self._path = None


def record(url: str, status: int, headers: dict[str, str], body: bytes, at: datetime,
           event_id: str) -> tuple[bytes, str]:
    """One response record as a gzip member, and its id (made from `event_id`). Pure, and
    most of the cost (zlib lets other threads run meanwhile): `fetch_articles` makes
    it in a thread while other pages are on the way."""
    record_id = f"<urn:uuid:{uuid.UUID(hex=event_id[:32].ljust(32, '0'))}>"
    http = StatusAndHeaders(f"{status} {responses.get(status, '')}".strip(),
                            [(k, v) for k, v in headers.items() if k.lower() not in _DROPPED]
                            + [("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    buffer = io.BytesIO()
    # compressed here, one gzip member a record as WARC readers expect, at a low level:
    # warcio's level 9 made keeping a page cost a sixth of fetching it
    writer = WARCWriter(buffer, gzip=False)
    writer.write_record(writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http,
        warc_headers_dict={"WARC-Record-ID": record_id, "WARC-Date": at.strftime("%Y-%m-%dT%H:%M:%SZ")}))
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return packer.compress(buffer.getbuffer()) + packer.flush(), record_id


def folder_for(settings: Settings) -> Path | None:
    """Where the archive is: NEWSMON_ARCHIVE, else beside a store file; None when it is
    "off", or when the store is DuckLake and no folder was given."""
    if settings.archive == "off":
        return None
    if settings.archive:
        return Path(settings.archive)
    return settings.db.with_name(settings.db.name + ".warc") if isinstance(settings.db, Path) else None


def repair_abandoned(folder: Path) -> list[Path]:
    """Close the `.open` files that a process of this host, no longer running, left:
    each cut back to its last whole record. The files closed."""
    closed = []
    host = socket.gethostname()
    for path in sorted(folder.glob(f"*.warc.gz{OPEN}")):
        parts = path.name.split("-")
        try:
            owner_host, pid = "-".join(parts[2:-2]), int(parts[-2])
        except (IndexError, ValueError):
            continue
        if owner_host != host or _alive(pid):
            continue
        with path.open("r+b") as stream:
            stream.truncate(_whole(path))
        final = path.with_name(path.name.removesuffix(OPEN))
        path.rename(final)
        closed.append(final)
    return closed


def _whole(path: Path) -> int:
    """Where the last whole record of a WARC file ends: each record is a gzip member of
    its own, and one cut short has no end (warcio would read what there is of it)."""
    data = memoryview(path.read_bytes())
    end = 0
    while end < len(data):
        member = zlib.decompressobj(31)
        try:
            member.decompress(data[end:])
        except zlib.error:
            break
        if not member.eof:
            break
        end = len(data) - len(member.unused_data)
    return end


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read(folder: Path, stored: Stored | dict) -> tuple[str, int, list[tuple[str, str]], bytes]:
    """The record kept at `stored`: its URL, HTTP status, headers and body."""
    where = stored if isinstance(stored, Stored) else Stored(
        stored["warc_file"], int(stored["warc_offset"]), stored["warc_record_id"])
    path = folder / where.file
    if not path.exists():
        path = path.with_name(path.name + OPEN)
    with path.open("rb") as stream:
        stream.seek(where.offset)
        record = next(iter(ArchiveIterator(stream)))
        assert record.rec_headers.get_header("WARC-Record-ID") == where.record_id, "not the record named"
        http = record.http_headers
        return (record.rec_headers.get_header("WARC-Target-URI"), int(http.get_statuscode()),
                list(http.headers), record.content_stream().read())
