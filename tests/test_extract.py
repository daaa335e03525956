import gzip
import json
import re

import pytest

from conftest import DEMO_SITE

from pipeline.extract import clean_text, decode, extract_page


def demo_page(path: str) -> str:
    return (DEMO_SITE / path).read_text(encoding="utf-8").replace("{{origin}}", "http://127.0.0.1:1")


def test_real_spanish_page(shared):
    snippets = {s["file"]: s for s in json.loads((shared / "articles/es-dev/snippets.json").read_text())}
    name = "articles/es-dev/elpais.com.uy-gobierno.html.gz"
    html = decode((shared / name).read_bytes(), None)
    info = next(s for f, s in snippets.items() if f.endswith("elpais.com.uy-gobierno.html.gz"))
    result = extract_page(html, info["url"])
    assert result.language == "es"
    assert result.title and "Montecon" in result.title
    assert all(piece in result.text for piece in info["with"][:3])
    assert result.extractor.startswith("trafilatura ")
    assert result.word_count > 100


@pytest.mark.parametrize("path, source, day", [
    ("sur-andino/2023/01/09/juliaca-17-muertos.html", "page", "2023-01-09"),   # article:published_time
    ("sur-andino/2023/02/27/bloqueo-ilave-desaguadero.html", "page", "2023-02-27"),  # JSON-LD
])
def test_date_and_where_it_came_from(path, source, day):
    result = extract_page(demo_page(path), "http://127.0.0.1:1/" + path)
    assert (result.date_source, result.published[:10]) == (source, day)


def test_a_date_line_alone_is_a_guess():
    html = re.sub(r'<link rel="canonical"[^>]*>', "",
                  demo_page("sur-andino/2023/12/09/madres-justicia-juliaca.html"))
    assert "9 de diciembre de 2023" in html
    result = extract_page(html, "http://127.0.0.1:1/sur-andino/madres.html")
    assert (result.date_source, result.published[:10]) == ("guess", "2023-12-09")


def test_the_feed_date_wins():
    result = extract_page(demo_page("sur-andino/2023/01/09/juliaca-17-muertos.html"),
                          None, feed_published="2023-01-10T03:30:00+00:00")
    assert (result.published, result.date_source) == ("2023-01-10T03:30:00+00:00", "feed")


def test_no_date_anywhere_stays_unknown():
    paragraphs = "".join(f"<p>{p}</p>" for p in [
        "The head of the International Atomic Energy Agency met the head of Iran's atomic "
        "energy organisation in Vienna to discuss an investigation into uranium traces.",
        "Both sides said that the dialogue on outstanding safeguards issues had restarted "
        "and that technical teams would meet again soon."])
    html = f"<html><head><title>Talks</title></head><body><article>{paragraphs}</article></body></html>"
    result = extract_page(html, "http://127.0.0.1:1/world/talks.html")
    assert result.published is None and result.date_source is None


def test_a_page_without_text_is_none():
    assert extract_page(demo_page("prensa-regional/video/resumen-semanal.html")) is None
    assert extract_page("<html><body></body></html>") is None


def test_text_is_clean_utf8():
    cleaned = clean_text("a\x00b\x07c\ud800d\ne\tf")
    assert cleaned == "abc?d\ne\tf"  # NUL and BEL gone, the lone surrogate replaced
    cleaned.encode("utf-8")


@pytest.mark.parametrize("charset", ["iso-8859-1", "windows-1252", "utf-16"])
def test_declared_and_undeclared_charsets(charset):
    text = "<html><body><p>Manifestación en Azángaro: señal de protesta</p></body></html>"
    body = text.encode(charset)
    assert "Azángaro" in decode(body, charset)
    assert "Azángaro" in decode(body, None)  # detected, not declared
    assert decode(body, "no-such-charset") == decode(body, None)


def test_gzipped_file_is_read(shared):
    raw = (shared / "articles/es-dev/lanacion.com.ar-jugada.html.gz").read_bytes()
    assert decode(raw, None) == decode(gzip.decompress(raw), None)
