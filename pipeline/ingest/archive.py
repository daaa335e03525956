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

A record's id comes from its event's id, which a rerun or a retried task computes
again; so a page kept by a run that never recorded its event (killed, or failed) is
not kept twice: the records of such a run (a file cut back, an archive closed by an
error) are listed in `recovered.jsonl`, and a later run that fetches the same attempt
and reads the same bytes names that record instead of writing another.
"""

from __future__ import annotations

import io
import itertools
import json
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
from pipeline.ingest.objects import CHUNK, Remote, is_remote

ROTATE_BYTES = 100_000_000
GZIP_LEVEL = 3
OPEN = ".open"
RECOVERED = "recovered.jsonl"  # records a run kept without recording their events, perhaps
# numbers the files of this process: two archives opened in one second (the fetch stage's,
# then the recheck stage's) must not name a file alike, the second replacing the first
_FILES = itertools.count(1)
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

    def __init__(self, folder: Path | str, rotate_bytes: int = ROTATE_BYTES):
        # an object store's files are written in a spool folder, and put there once closed
        self.remote = Remote(str(folder)) if is_remote(folder) else None
        self.folder = self.remote.spool if self.remote else Path(folder)
        self.rotate_bytes = rotate_bytes
        self._file: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._written: list[tuple[Stored, str]] = []
        self._recovered: dict[str, tuple[Stored, str]] = {}

    def __enter__(self) -> "Archive":
        self.folder.mkdir(parents=True, exist_ok=True)
        repair_abandoned(self.folder)
        if self.remote is not None:
            self.remote.put_left("*.warc.gz")
        self._recovered = recovered(self.folder)
        return self

    def __exit__(self, kind, *exc) -> None:
        self._close()
        if kind is not None:  # their events may not be recorded: a rerun may need them
            _list_recovered(self.folder, self._written)

    def keep(self, url: str, status: int, headers: dict[str, str], body: bytes,
             at: datetime, event_id: str) -> Stored:
        """Write one response record; where it is."""
        return self.put(*record(url, status, headers, body, at, event_id))

    def put(self, member: bytes, record_id: str, digest: str = "") -> Stored:
        """Write one record made by `record` (in the thread that owns the archive); or,
        when an earlier run kept this very record (the same id and payload) without
        recording its event, name that one."""
        earlier = self._recovered.get(record_id)
        if earlier is not None and earlier[1] == digest and (
                self.remote is not None or (self.folder / earlier[0].file).exists()):
            return earlier[0]
        out = self._current(len(member))
        offset = out.tell()
        out.write(member)  # the record whole, or (killed) cut back on repair
        out.flush()
        assert self._path is not None
        stored = Stored(self._path.name.removesuffix(OPEN), offset, record_id)
        self._written.append((stored, digest))
        return stored

    def _current(self, coming: int) -> io.BufferedWriter:
        if self._file is not None and self._file.tell() + coming > self.rotate_bytes and self._file.tell():
            self._close()
        if self._file is None:
            name = (f"newsmon-{datetime.now():%Y%m%d%H%M%S}-{socket.gethostname()}-{os.getpid()}-"
                    f"{next(_FILES)}.warc.gz{OPEN}")
            self._path = self.folder / name
            self._file = open(self._path, "ab")
        return self._file

    def _close(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        closed = self._path.with_name(self._path.name.removesuffix(OPEN))
        self._path.rename(closed)
        self._file = self._path = None
        if self.remote is not None:
            try:
                self.remote.put(closed)
            except OSError:
                pass  # left in the spool: the next archive opened on this host puts it


def record(url: str, status: int, headers: dict[str, str], body: bytes, at: datetime,
           event_id: str) -> tuple[bytes, str, str]:
    """One response record as a gzip member, its id (made from `event_id`) and its
    payload's digest. Pure, and most of the cost (zlib lets other threads run meanwhile):
    `fetch_articles` makes it in a thread while other pages are on the way."""
    record_id = f"<urn:uuid:{uuid.UUID(hex=event_id[:32].ljust(32, '0'))}>"
    http = StatusAndHeaders(f"{status} {responses.get(status, '')}".strip(),
                            [(k, v) for k, v in headers.items() if k.lower() not in _DROPPED]
                            + [("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    buffer = io.BytesIO()
    # compressed here, one gzip member a record as WARC readers expect, at a low level:
    # warcio's level 9 made keeping a page cost a sixth of fetching it
    writer = WARCWriter(buffer, gzip=False)
    made = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http,
        warc_headers_dict={"WARC-Record-ID": record_id, "WARC-Date": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    writer.write_record(made)
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return (packer.compress(buffer.getbuffer()) + packer.flush(), record_id,
            made.rec_headers.get_header("WARC-Payload-Digest"))


def folder_for(settings: Settings) -> Path | str | None:
    """Where the archive is: NEWSMON_ARCHIVE (a folder, or an object-store prefix as a
    URL); else beside a store file, or beside a DuckLake's data files however they are
    reached (`<data>.warc`: a folder, or a prefix in the same object store); None when it
    is "off"."""
    if settings.archive == "off":
        return None
    if settings.archive:
        return settings.archive if is_remote(settings.archive) else Path(settings.archive)
    if isinstance(settings.db, Path):
        return settings.db.with_name(settings.db.name + ".warc")
    catalog = settings.db.removeprefix("ducklake:")
    data = settings.lake_data or (None if catalog.startswith("postgres:") else f"{catalog}.files")
    if data is None:
        return None
    beside = data.rstrip("/") + ".warc"
    return beside if is_remote(beside) else Path(beside)


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
        _list_recovered(folder, _records(final))
    return closed


def _records(path: Path) -> list[tuple[Stored, str]]:
    """Where each record of a (whole) WARC file is, and its payload's digest."""
    found = []
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        for each in records:
            found.append((Stored(path.name, records.get_record_offset(),
                                 each.rec_headers.get_header("WARC-Record-ID")),
                          each.rec_headers.get_header("WARC-Payload-Digest") or ""))
    return found


def _list_recovered(folder: Path, records: list[tuple[Stored, str]]) -> None:
    if not records:
        return
    lines = "".join(json.dumps({**kept.as_payload(), "digest": digest}) + "\n" for kept, digest in records)
    with (folder / RECOVERED).open("a", encoding="utf-8") as out:
        out.write(lines)


def recovered(folder: Path) -> dict[str, tuple[Stored, str]]:
    """The records that runs kept and may not have recorded (`RECOVERED`), by id."""
    try:
        lines = (folder / RECOVERED).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    found = {}
    for line in lines:
        try:
            row = json.loads(line)
            found[row["warc_record_id"]] = (Stored(row["warc_file"], int(row["warc_offset"]),
                                                   row["warc_record_id"]), row["digest"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash: that record is kept again, no harm
    return found


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


def exists(folder: Path | str) -> bool:
    """Whether an archive is there to read from (an object store is taken to be)."""
    return is_remote(folder) or Path(folder).is_dir()


def member(folder: Path | str, stored: Stored | dict) -> bytes:
    """The record kept at `stored` as the archive holds it: one gzip member, checked to be
    the record named (FileNotFoundError when its file is gone)."""
    where = stored if isinstance(stored, Stored) else Stored(
        stored["warc_file"], int(stored["warc_offset"]), stored["warc_record_id"])
    out = bytearray()
    unpack = zlib.decompressobj(31)
    for chunk in _chunks(folder, where.file, where.offset):
        unpack.decompress(chunk)
        out += chunk[:len(chunk) - len(unpack.unused_data)]
        if unpack.eof:
            break
    record = next(iter(ArchiveIterator(io.BytesIO(bytes(out)))))
    assert record.rec_headers.get_header("WARC-Record-ID") == where.record_id, "not the record named"
    return bytes(out)


def _chunks(folder: Path | str, name: str, offset: int):
    if is_remote(folder):
        yield from Remote(str(folder)).chunks(name, offset)
        return
    path = Path(folder) / name
    if not path.exists():
        path = path.with_name(path.name + OPEN)
    with path.open("rb") as stream:
        stream.seek(offset)
        while chunk := stream.read(CHUNK):
            yield chunk


def read(folder: Path | str, stored: Stored | dict) -> tuple[str, int, list[tuple[str, str]], bytes]:
    """The record kept at `stored`: its URL, HTTP status, headers and body."""
    record = next(iter(ArchiveIterator(io.BytesIO(member(folder, stored)))))
    http = record.http_headers
    return (record.rec_headers.get_header("WARC-Target-URI"), int(http.get_statuscode()),
            list(http.headers), record.content_stream().read())
