import gzip
import json
import re
import subprocess
import sys

import pytest
from conftest import DEMO_SITE, ES_DEV, SHARED

from bench.scores import read_page
from pipeline.core.text import clean
from pipeline.extract.page import decode, detect_language, extract_page


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


def madres_without_canonical() -> str:
    # its canonical URL holds the date: without it, the page's metadata has none
    html = re.sub(r'<link rel="canonical"[^>]*>', "",
                  demo_page("sur-andino/2023/12/09/madres-justicia-juliaca.html"))
    assert '<p class="fecha">9 de diciembre de 2023</p>' in html
    return html


def test_the_visible_spanish_date_line_is_read():
    result = extract_page(madres_without_canonical(), "http://127.0.0.1:1/sur-andino/madres.html")
    assert (result.date_source, result.published) == ("text", "2023-12-09")


def test_a_date_found_only_in_the_text_is_a_guess():
    html = madres_without_canonical().replace(
        '<p class="fecha">9 de diciembre de 2023</p>',
        "<p>Juliaca, 9.12.2023. Las madres viajaron a Lima.</p>")
    result = extract_page(html, "http://127.0.0.1:1/sur-andino/madres.html")
    assert (result.date_source, result.published[:10]) == ("guess", "2023-12-09")


def test_todays_date_in_the_site_header_is_not_the_articles():
    # El Faro shows "Viernes, 22 de Abril de 2022" (the day the page was saved) in its
    # navigation; the article's own line says "Jueves, 21 de Abril de 2022 21/04/2022"
    html = read_page(ES_DEV / "elfaro.net-asamblea.html.gz")
    assert "22 de Abril de 2022" in html
    result = extract_page(html, None)
    assert (result.date_source, result.published) == ("text", "2022-04-21")


@pytest.mark.parametrize("file, day", [
    ("unocero.com.marcas.html.gz", "2019-08-27"),
    ("clarin.com-albertofernandez.html.gz", "2022-05-03"),
    ("cooperativa.cl-presidente.html.gz", "2022-05-04"),
    ("cubadebate.cu-sesiona.html.gz", "2022-04-26"),
])
def test_dates_of_real_pages_checked_by_hand(file, day):
    result = extract_page(read_page(ES_DEV / file), None)
    assert (result.date_source, result.published[:10]) == ("page", day)


@pytest.mark.parametrize("text, language", [
    ("Los manifestantes bloquearon la carretera entre Juliaca y Puno durante tres días "
     "y exigieron la renuncia del gobierno regional.", "es"),
    ("Os manifestantes bloquearam a estrada entre Juliaca e Puno durante três dias e "
     "exigiram a renúncia do governo regional.", "pt"),
    ("Protesters blocked the road between Juliaca and Puno for three days and demanded "
     "that the regional government resign.", "en"),
])
def test_language_is_named(text, language):
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(2))
    result = extract_page(f"<html><body><article>{paragraphs}</article></body></html>")
    assert result.language == language


def test_language_of_real_pages_and_labelled_passages():
    # read from the start of the text only: every Spanish page of es-dev, and (with the
    # shared corpus) every labelled passage, named as its whole text would be
    found = [extract_page(decode(gzip.decompress(p.read_bytes()), None))
             for p in sorted(ES_DEV.glob("*.html.gz"))]
    assert [e.language for e in found if e] == ["es"] * 31
    labelled = SHARED / "tagging/dev.jsonl"
    if labelled.exists():
        passages = [json.loads(line) for line in labelled.read_text().splitlines()]
        assert [detect_language(p["text"]) for p in passages] == [p["lang"] for p in passages]
        assert len(passages) > 80


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
    cleaned = clean("a\x00b\x07c\ud800d\ne\tf")
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


def test_the_fork_servers_warm_up_page_goes_down_the_date_cascade():
    """The fork server extracts one page so that every worker starts with what the
    libraries load on their first page; its page must take the long way (no date in
    the metadata, a Spanish date line read by dateparser), and must not fail."""
    from pipeline.extract import preload

    assert preload.extraction is not None, "the warm-up extraction failed"
    assert (preload.extraction.date_source, preload.extraction.published) == ("text", "2022-04-21")
    assert preload.extraction.language == "es"


def test_the_fork_server_reads_the_list_of_domain_suffixes_for_its_workers():
    """trafilatura reads courlan's list of domain suffixes only for a host its quick
    check cannot split (www.gob.pe); each worker forked without it read the list on its
    first such page. A process that has loaded the preload reads no file for it."""
    code = (
        "import sys\n"
        "from pipeline.extract import preload\n"
        "from pipeline.extract.page import extract_page\n"
        "opened = []\n"
        "sys.addaudithook(lambda event, args: event == 'open' and opened.append(str(args[0])))\n"
        "extraction = extract_page(preload._PAGE, 'https://www.gob.pe/institucion/regionpuno/noticias/1')\n"
        "assert extraction is not None and extraction.site\n"
        "print([path for path in opened if 'tld' in path])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"a worker would read: {done.stdout}"


def test_the_preload_leaves_the_exit_of_any_other_process_alone():
    """The fork server leaves without its interpreter's teardown once its exit handlers
    have run (preload.py); a process that merely imports the preload (a test) exits as
    ever, with its own exit code, its handlers run and its output written."""
    code = ("import atexit, sys\n"
            "from pipeline.extract import preload\n"
            "atexit.register(print, 'handled')\n"
            "sys.stdout.write('unflushed')\n"
            "sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (3, "unflushedhandled\n"), done.stderr


PARAGRAPHS = "<p>Los gremios de Puno acataron un paro de 48 horas contra el gobierno regional, " \
             "con bloqueos en las principales vías de acceso a la ciudad de Juliaca.</p>" \
             "<p>La prefectura pidió diálogo y el libre tránsito de ambulancias en la región.</p>"


@pytest.mark.parametrize("reference", ["&#xFFFE;", "&#xFFFF;", "&#x1B;[31m", "&#0;", "&#xD800;",
                                        "&#x110000;", "&#55357;"])
def test_a_reference_to_no_character_costs_nothing_of_the_page(reference):
    html = f"<html><body><article><p>{reference}Ñandú.</p>{PARAGRAPHS}</article></body></html>"
    result = extract_page(decode(html.encode(), "utf-8"), "https://e.org/a")
    assert result is not None and "Los gremios de Puno" in result.text
    assert not any(c in result.text for c in "\x00\x1b\ufffe\uffff")
    result.text.encode("utf-8")


def test_references_are_repaired_as_browsers_read_them():
    html = "<p>&#xD83D;&#xDE00; &#150; &#65; &#x26; &#0;x</p>".encode()
    assert decode(html, "utf-8") == "<p>&#x1F600; &#x2013; &#65; &#x26; x</p>"


def test_a_latin1_page_declared_as_utf8_reads_right():
    body = f"<html><body><p>El ñandú de Azángaro.</p>{PARAGRAPHS}</body></html>".encode("latin-1")
    assert "El ñandú de Azángaro." in decode(body, "utf-8")
    mostly = f"<p>{PARAGRAPHS}</p>".encode() + b"\xff\xfe" + f"<p>{PARAGRAPHS}</p>".encode()
    assert "Los gremios de Puno" in decode(mostly, None) and "vías" in decode(mostly, None)


def test_the_language_model_is_read_from_the_cache_after_the_first_time(tmp_path, monkeypatch, shared):
    # py3langid decompresses its model in every process (0.6 s); newsmon keeps it
    # decompressed in its cache folder and names the same languages from it
    import lzma

    import py3langid
    from py3langid import modelio

    from pipeline.extract import language
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert language._cached() is not None
    assert [p.suffix for p in (tmp_path / "newsmon").iterdir()] == [".npz"]  # no part left

    def no_lzma(*args, **kwargs):
        raise AssertionError("the model was decompressed again")
    monkeypatch.setattr(lzma, "open", no_lzma)
    monkeypatch.setattr(modelio.lzma, "open", no_lzma)
    cached = language._cached()
    assert cached is not None
    texts = [json.loads(line)["text"] for name in ("dev.jsonl", "dev2.jsonl")
             for line in (shared / "tagging" / name).open()]
    shipped = py3langid.langid.LanguageIdentifier.from_model_file  # its own loading, once
    monkeypatch.undo()
    own = shipped(py3langid.langid.MODEL_FILE)
    assert [cached.classify(t) for t in texts] == [own.classify(t) for t in texts]
    assert {cached.classify(t)[0] for t in texts} >= {"es", "en", "pt"}


def test_without_a_cache_the_language_is_named_all_the_same(tmp_path, monkeypatch):
    from pipeline.extract import language
    (tmp_path / "newsmon").write_text("a file where the folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(language, "_classify", None)
    assert language._cached() is None
    assert language.classify("Os manifestantes bloquearam a estrada entre Juliaca e Puno") == "pt"


def test_a_worker_takes_the_fork_servers_tagger_only_for_the_same_definitions(monkeypatch):
    from pipeline.core.config import load_sites
    from pipeline.extract import worker
    from pipeline.topics.definitions import TopicsFile, load_topics
    from pipeline.topics.tagging import Tagger

    for name in ("_PREPARED", "_TAGGER", "_SITES"):  # put back after the test
        monkeypatch.setattr(worker, name, getattr(worker, name))
    topics = load_topics()
    dumped, sites = topics.model_dump(mode="json"), load_sites().model_dump(mode="json")
    other = TopicsFile.model_validate({**dumped, "topics": dumped["topics"][:1]})
    worker.prepare_tagger(topics)
    assert worker._PREPARED is not None
    prepared = worker._PREPARED[1]

    worker.start_worker(other.model_dump(mode="json"), sites, None)
    assert worker._TAGGER is not prepared
    assert worker._TAGGER is not None and worker._TAGGER.version == Tagger(other).version
    worker.start_worker(dumped, sites, None)
    assert worker._TAGGER is prepared
