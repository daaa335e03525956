"""Archive export (I/O): the kept pages of the articles a selection names (a topic, a
period, a list of ids), as one WARC file or as a WACZ package, for handing to a newsroom,
a court, or a replay tool (ReplayWeb.page opens a WACZ as it is).

The records are copied as the archive holds them, byte for byte (each is a gzip member
of its own), after a `warcinfo` record that says what was exported, by what, and when.
A WACZ (https://specs.webrecorder.net/wacz/1.1.1/) is a zip of that WARC, its CDXJ
index (SURT keys, from the `surt` library), the list of its pages, and a
`datapackage.json` with each file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from surt import surt
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from pipeline.ingest import archive

SOFTWARE = f"newsmon {version('newsmon')}"


@dataclass
class Exported:
    articles: int = 0
    records: int = 0
    missing: int = 0     # records whose archive file is gone
    bytes: int = 0


def write_warc(rows: list[dict], folder: Path | str, out: Path, about: dict, now: datetime) -> Exported:
    """The records of `rows`, after a warcinfo record saying `about` the export."""
    done = Exported(articles=len({r["article_id"] for r in rows}))
    with out.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        info = {"software": SOFTWARE, "format": "WARC File Format 1.1",
                "created": now.isoformat(), **{k: str(v) for k, v in about.items() if v is not None}}
        writer.write_record(writer.create_warcinfo_record(out.name, info))
        for row in rows:
            try:
                stream.write(archive.member(folder, row))
            except FileNotFoundError:
                done.missing += 1
                continue
            done.records += 1
    done.bytes = out.stat().st_size
    return done


def write_wacz(rows: list[dict], folder: Path | str, out: Path, about: dict, now: datetime) -> Exported:
    """A WACZ package of the records of `rows`."""
    warc = out.with_name(out.name + ".warc.gz.part")
    try:
        done = write_warc(rows, folder, warc, about, now)
        index = _cdxj(warc)
        titles = {r["url"]: r["title"] for r in rows}
        pages = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All pages"})]
        pages += [json.dumps({"id": hashlib.sha1(line.encode()).hexdigest()[:16], "url": url, "ts": ts,
                              "title": titles.get(url)}, ensure_ascii=False)
                  for line, url, ts in _first_captures(warc)]
        files = {"indexes/index.cdx": "\n".join(index) + "\n", "pages/pages.jsonl": "\n".join(pages) + "\n"}
        resources = [_resource("archive/data.warc.gz", warc.read_bytes())]
        resources += [_resource(path, text.encode()) for path, text in files.items()]
        package = json.dumps({"profile": "data-package", "wacz_version": "1.1.1",
                              "title": about.get("title") or "newsmon export",
                              "created": now.isoformat(), "software": SOFTWARE,
                              "resources": resources}, indent=2, ensure_ascii=False)
        digest = json.dumps({"path": "datapackage.json",
                             "hash": "sha256:" + hashlib.sha256(package.encode()).hexdigest()})
        with zipfile.ZipFile(out, "w") as zipped:
            zipped.write(warc, "archive/data.warc.gz", compress_type=zipfile.ZIP_STORED)
            for path, text in files.items():
                zipped.writestr(path, text, compress_type=zipfile.ZIP_DEFLATED)
            zipped.writestr("datapackage.json", package, compress_type=zipfile.ZIP_DEFLATED)
            zipped.writestr("datapackage-digest.json", digest, compress_type=zipfile.ZIP_DEFLATED)
    finally:
        warc.unlink(missing_ok=True)
    done.bytes = out.stat().st_size
    return done


def _resource(path: str, data: bytes) -> dict:
    return {"name": Path(path).name, "path": path, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "bytes": len(data)}


def _responses(warc: Path):
    with warc.open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            if record.rec_type == "response":
                record.content_stream().read()  # to the end, so that the length is known
                yield record, records.get_record_offset(), records.get_record_length()


def _cdxj(warc: Path) -> list[str]:
    """The CDXJ index of a WARC file's responses, sorted as replay tools expect."""
    lines = []
    for record, offset, length in _responses(warc):
        url = record.rec_headers.get_header("WARC-Target-URI")
        http = record.http_headers
        fields = {"url": url, "mime": (http.get_header("Content-Type") or "").split(";")[0].strip(),
                  "status": http.get_statuscode(),
                  "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                  "length": str(length), "offset": str(offset), "filename": "data.warc.gz"}
        lines.append(f"{surt(url)} {_timestamp(record)} {json.dumps(fields)}")
    return sorted(lines)


def _first_captures(warc: Path):
    seen = set()
    for record, _, _ in _responses(warc):
        url = record.rec_headers.get_header("WARC-Target-URI")
        if url not in seen:
            seen.add(url)
            yield url, url, record.rec_headers.get_header("WARC-Date")


def _timestamp(record) -> str:
    return "".join(c for c in record.rec_headers.get_header("WARC-Date") if c.isdigit())[:14]
