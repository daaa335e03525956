"""The archive in an object store (I/O, through obstore): `NEWSMON_ARCHIVE` as a prefix,
s3://bucket/prefix, gs://, az:// (or file:// for a folder reached the same way),
credentials from the environment as for DuckLake's data on an object store (AWS_*,
GOOGLE_*, AZURE_*).

WARC files are written in a spool folder on this host, exactly as in a local archive
(so a killed process's file is repaired the same way), and put in the store whole when
closed; a record is read back with ranged reads. A file that could not be put stays in
the spool and is put by the next archive opened on the host.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import obstore
from obstore.store import from_url

CHUNK = 1 << 16


def is_remote(where: object) -> bool:
    return "://" in str(where)


class Remote:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        # a folder reached as file:// is made if missing, as a bucket's prefix needs no making
        self.store = from_url(self.url, mkdir=True) if self.url.startswith("file://") \
            else from_url(self.url)
        key = hashlib.blake2b(self.url.encode(), digest_size=8).hexdigest()
        self.spool = Path(tempfile.gettempdir()) / "newsmon-warc-spool" / key

    def put(self, path: Path) -> None:
        """Put a closed file in the store, then drop it from the spool."""
        with path.open("rb") as data:
            obstore.put(self.store, path.name, data)
        path.unlink()

    def put_left(self, pattern: str) -> None:
        """Put the closed files the spool still holds (a put failed, a file was repaired)."""
        for path in sorted(self.spool.glob(pattern)):
            try:
                self.put(path)
            except OSError:
                continue  # the store is out of reach: the next archive opened tries again

    def chunks(self, name: str, offset: int):
        """The bytes of file `name` from `offset` on, a chunk at a time (FileNotFoundError
        when there is no such file)."""
        local = self.spool / name
        if local.exists():  # not put yet
            with local.open("rb") as stream:
                stream.seek(offset)
                while chunk := stream.read(CHUNK):
                    yield chunk
            return
        size = obstore.head(self.store, name)["size"]
        while offset < size:
            end = min(offset + CHUNK, size)
            yield bytes(obstore.get_range(self.store, name, start=offset, end=end))
            offset = end
