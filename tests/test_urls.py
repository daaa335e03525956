from pipeline.ingest.urls import article_id, canonical_url

SAME_ARTICLE = [
    "https://elcomercio.pe/peru/puno/bloqueos-en-puno-noticia/",
    "http://elcomercio.pe/peru/puno/bloqueos-en-puno-noticia",
    "https://www.elcomercio.pe/peru/puno/bloqueos-en-puno-noticia/?utm_source=twitter&utm_medium=social",
    "https://elcomercio.pe/peru/puno/bloqueos-en-puno-noticia/?outputType=amp",
    "https://elcomercio.pe/peru/puno/bloqueos-en-puno-noticia/amp/",
    "https://m.elcomercio.pe/peru/puno/bloqueos-en-puno-noticia#comentarios",
    "HTTPS://ELCOMERCIO.PE/peru/puno/bloqueos-en-puno-noticia?fbclid=IwAR0abc",
    "https://amp.elcomercio.pe/peru/puno/bloqueos-en-puno-noticia",
]


def test_variants_of_one_article_fold_into_one_identity():
    found = {canonical_url(url) for url in SAME_ARTICLE}
    assert found == {"https://elcomercio.pe/peru/puno/bloqueos-en-puno-noticia"}, found
    assert len({article_id(url) for url in found}) == 1
    other = canonical_url("https://elcomercio.pe/peru/puno/otra-noticia/?utm_source=x")
    assert article_id(other) != article_id(found.pop())


def test_amp_html_extension_folds():
    assert canonical_url("https://elespanol.com/a/416210021_0.amp.html") == \
        canonical_url("https://www.elespanol.com/a/416210021_0.html")


def test_different_articles_stay_different():
    urls = ["https://andina.pe/agencia/noticia-puno-1.aspx",
            "https://andina.pe/agencia/noticia-puno-2.aspx",
            "https://laserinformativo.com.mx/?p=45228",
            "https://laserinformativo.com.mx/?p=45229",
            "https://andina.pe/agencia/noticia.aspx?id=1",
            "https://andina.pe/agencia/noticia.aspx?id=2"]
    assert len({article_id(canonical_url(u)) for u in urls}) == len(urls)


def test_query_order_does_not_matter_but_values_do():
    assert canonical_url("https://x.org/a?b=2&a=1") == canonical_url("https://x.org/a?a=1&b=2")
    assert canonical_url("https://x.org/a?a=1") != canonical_url("https://x.org/a?a=2")


def test_non_http_urls_are_kept_as_they_are():
    assert canonical_url("javascript:alert(1)") == "javascript:alert(1)"
    assert canonical_url("tag:example.org,2024:1") == "tag:example.org,2024:1"


def test_malformed_urls_are_their_own_identity():
    malformed = ("http://[::1", "http://host:99999999/x", "https://exa mple.org/a")
    for url in malformed:
        assert canonical_url(url) == canonical_url(url)  # no exception, a stable key
    assert len({canonical_url(url) for url in malformed}) == len(malformed)
