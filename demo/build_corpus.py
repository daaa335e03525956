"""Build the demo corpus in demo/site/ (run by hand; the result is committed).

    python demo/build_corpus.py [--shared ../shared/corpus]

- renders the articles written for the demo (written/articles.yaml) as pages of four
  invented outlets, and their RSS and Atom feeds, in the styles of Latin American
  news sites (teaser blocks, section menus, dates stated in different ways);
- copies a sample of real article pages and real feeds from the shared development
  corpus (open licences, noted in SOURCES.md) and lists the pages in two feeds;
- writes SOURCES.md: every file, where it comes from, under which licence.

Feeds and pages say {{origin}} where the demo server's own origin goes.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import shutil
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

import trafilatura
import yaml

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
O = "{{origin}}"

OUTLETS = {
    "sur-andino": {"name": "Sur Andino", "tagline": "Diario regional del altiplano",
                   "lang": "es", "feed": "rss", "menu": ["Inicio", "Regiones", "Política",
                                                         "Sociedad", "Turismo", "Clima"]},
    "economia-andina": {"name": "Economía Andina", "tagline": "Negocios y empresas de la región",
                        "lang": "es", "feed": "atom", "menu": ["Portada", "Empresas",
                                                               "Mercados", "Comercio", "Energía"]},
    "mundo-hoy": {"name": "Mundo Hoy", "tagline": "World news, Latin America first",
                  "lang": "en", "feed": "rss", "menu": ["Home", "World", "Business", "Opinion"]},
    "prensa-regional": {"name": "Prensa Regional", "tagline": "Noticias de América Latina",
                        "lang": "es", "feed": "rss", "menu": ["Inicio", "Internacional",
                                                              "Economía", "Video"]},
}
MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre"]
ES_DEV = ["elpais.com.uy-gobierno", "lanacion.com.ar-jugada", "biobiochile.cl-gremios",
          "eltiempo.com-candidatos", "infobae.com-ucrania", "cooperativa.cl-presidente",
          "pagina12.com.ar-suprema", "elespectador.com-orion", "latercera.com-laagenda",
          "ultimahora.com-apelacion", "prensalibre.com-tendencia", "elfaro.net-asamblea"]
ZYTE_COUNT = 15
REAL_FEEDS = ["rbren__rss-parser/uolNoticias.rss", "feed-rs__feed-rs/atom_example_2.xml",
              "feed-rs__feed-rs/rss_1.0_iso8859.xml"]
SEED = "seed/south-american-partners-turning-away.txt"


def page_path(a: dict) -> str:
    if a.get("published") and a["date"] != "none":
        d = datetime.fromisoformat(a["published"])
        return f"/{a['outlet']}/{d:%Y/%m/%d}/{a['id']}.html"
    return f"/{a['outlet']}/{a['section'].lower()}/{a['id']}.html"


def visible_date(a: dict) -> str:
    d = datetime.fromisoformat(a["published"])
    if a["lang"] == "es":
        return f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}"
    return f"{d:%B} {d.day}, {d.year}"


def render_page(a: dict, others: list[dict]) -> str:
    outlet = OUTLETS[a["outlet"]]
    e = html.escape
    head = [f"<title>{e(a['title'])} | {e(outlet['name'])}</title>",
            f'<meta name="description" content="{e(a["summary"])}">',
            f'<meta property="og:site_name" content="{e(outlet["name"])}">',
            f'<link rel="canonical" href="{O}{page_path(a)}">']
    if a["date"] == "meta":
        head.append(f'<meta property="article:published_time" content="{a["published"]}">')
    if a["date"] == "jsonld":
        head.append('<script type="application/ld+json">' + json.dumps({
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"],
            "datePublished": a["published"],
            "publisher": {"@type": "Organization", "name": outlet["name"]}},
            ensure_ascii=False) + "</script>")
    menu = "".join(f'<li><a href="{O}/{a["outlet"]}/">{e(m)}</a></li>' for m in outlet["menu"])
    more = "LEA TAMBIÉN" if outlet["lang"] == "es" else "READ MORE"
    teasers = "".join(f'<li><a href="{O}{page_path(o)}">{e(o["title"])}</a></li>' for o in others[:3])
    dateline = f'<p class="fecha">{visible_date(a)}</p>' if a["date"] == "visible" else ""
    note = ("Texto escrito para la demo de newsmon a partir de informaciones publicadas. Fuente:"
            if a["lang"] == "es" else "Written for the newsmon demo from published reports. Source:")
    body = "\n".join(f"<p>{e(p)}</p>" for p in a["body"])
    return f"""<!DOCTYPE html>
<html lang="{a['lang']}">
<head>
<meta charset="utf-8">
{chr(10).join(head)}
</head>
<body>
<header class="cabecera"><a class="logo" href="{O}/{a['outlet']}/">{e(outlet['name'])}</a>
<span class="lema">{e(outlet['tagline'])}</span>
<nav><ul class="menu">{menu}</ul></nav></header>
<main>
<article class="nota">
<p class="seccion">{e(a['section'])}</p>
<h1>{e(a['title'])}</h1>
<p class="bajada">{e(a['summary'])}</p>
{dateline}
<div class="cuerpo">
{body}
</div>
<p class="nota-demo"><small>{note} <a href="{e(a['source'])}">{e(a['source'])}</a></small></p>
</article>
<aside class="lea-tambien"><h3>{more}</h3><ul>{teasers}</ul></aside>
</main>
<footer><p>© {e(outlet['name'])} (medio ficticio de la demo de newsmon). Todos los derechos reservados.</p>
<ul><li><a href="{O}/{a['outlet']}/contacto">Contacto</a></li><li><a href="{O}/{a['outlet']}/privacidad">Privacidad</a></li></ul></footer>
</body>
</html>
"""


def rss(title: str, link: str, lang: str, items: list[dict]) -> str:
    e = html.escape
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
           f'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n<title>{e(title)}</title>\n'
           f"<link>{link}</link>\n<description>{e(title)}</description>\n"
           f"<language>{lang}</language>"]
    for item in items:
        out.append("<item>")
        out.append(f"<title>{e(item['title'])}</title>")
        out.append(f"<link>{e(item['link'])}</link>")
        if item.get("guid"):
            out.append(f'<guid isPermaLink="false">{e(item["guid"])}</guid>')
        if item.get("summary"):
            out.append(f"<description>{e(item['summary'])}</description>")
        if item.get("published"):
            out.append(f"<pubDate>{format_datetime(datetime.fromisoformat(item['published']))}</pubDate>")
        out.append("</item>")
    out.append("</channel>\n</rss>\n")
    return "\n".join(out)


def atom(title: str, link: str, lang: str, items: list[dict]) -> str:
    e = html.escape
    updated = max((i["published"] for i in items if i.get("published")), default="2024-01-01T00:00:00Z")
    out = [f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
           f'xml:lang="{lang}">\n<title>{e(title)}</title>\n<link href="{link}"/>\n'
           f"<id>{link}</id>\n<updated>{updated}</updated>"]
    for item in items:
        out.append("<entry>")
        out.append(f"<title>{e(item['title'])}</title>")
        out.append(f'<link rel="alternate" href="{e(item["link"])}"/>')
        out.append(f"<id>{e(item.get('guid') or item['link'])}</id>")
        if item.get("published"):
            out.append(f"<published>{item['published']}</published><updated>{item['published']}</updated>")
        if item.get("summary"):
            out.append(f"<summary>{e(item['summary'])}</summary>")
        out.append("</entry>")
    out.append("</feed>\n")
    return "\n".join(out)


def feed_item(a: dict) -> dict:
    item = {"title": a["title"], "link": O + page_path(a), "summary": a["summary"]}
    if a["date"] == "feed":  # the other modes leave the date to the page
        item["published"] = a["published"]
    return item


def written(sources: list[tuple[str, str, str]]) -> dict[str, list[dict]]:
    articles = yaml.safe_load((HERE / "written" / "articles.yaml").read_text(encoding="utf-8"))
    by_outlet: dict[str, list[dict]] = {}
    for a in articles:
        if isinstance(a.get("published"), datetime):  # YAML reads timestamps as datetimes
            a["published"] = a["published"].isoformat()
        by_outlet.setdefault(a["outlet"], []).append(a)
    for outlet, items in by_outlet.items():
        for a in items:
            others = [o for o in items if o is not a]
            target = SITE / page_path(a).lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render_page(a, others), encoding="utf-8")
            sources.append((page_path(a), f"written for the demo from {a['source']}", "CC0 (newsmon)"))
    return {outlet: [feed_item(a) for a in items] for outlet, items in by_outlet.items()}


def seed_page(shared: Path, sources: list) -> dict:
    text = (shared / SEED).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    e = html.escape
    paragraphs = "\n".join(f"<p>{e(line)}</p>" for line in lines[1:])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(lines[0])} | Mundo Hoy</title>
<meta property="og:site_name" content="Mundo Hoy">
<meta property="article:published_time" content="2023-04-27T08:00:00-04:00">
</head><body><header><a href="{O}/mundo-hoy/">Mundo Hoy</a></header>
<main><article><h1>{e(lines[0])}</h1>
{paragraphs}
<p><small>Commentary first published by The Daily Signal (The Heritage Foundation), 27 April 2023; shown here as the newsmon demo's seed article.</small></p>
</article></main></body></html>
"""
    path = "/mundo-hoy/opinion/south-american-partners-turning-away.html"
    (SITE / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (SITE / path.lstrip("/")).write_text(page, encoding="utf-8")
    sources.append((path, "seed commentary of the development corpus (The Daily Signal, 27 April 2023)",
                    "publisher's copyright; shipped as the development corpus's seed sample"))
    return {"title": lines[0], "link": O + path, "published": "2023-04-27T08:00:00-04:00",
            "summary": "Commentary: Peru's crisis, China's purchases and Iran's links in the region."}


def real_pages(shared: Path, sources: list) -> tuple[list[dict], list[dict]]:
    es_items, world_items = [], []
    snippets = {Path(s["file"]).name.removesuffix(".html.gz"): s
                for s in json.loads((shared / "articles/es-dev/snippets.json").read_text())}
    target = SITE / "real" / "es"
    target.mkdir(parents=True, exist_ok=True)
    for name in ES_DEV:
        src = shared / "articles/es-dev" / f"{name}.html.gz"
        shutil.copyfile(src, target / src.name)
        meta = trafilatura.extract_metadata(gzip.decompress(src.read_bytes()).decode("utf-8", "replace"))
        es_items.append({"title": (meta.title if meta and meta.title else name),
                         "link": f"{O}/real/es/{name}.html"})
        sources.append((f"/real/es/{src.name}", f"{snippets[name]['url']} via adbar/trafilatura "
                        "evaluation data (../shared/corpus/articles/es-dev)", "Apache-2.0"))
    truth = json.loads((shared / "articles/zyte-aeb/ground-truth.json").read_text())
    target = SITE / "real" / "zyte"
    target.mkdir(parents=True, exist_ok=True)
    for page_id in sorted(truth)[:ZYTE_COUNT]:
        src = shared / "articles/zyte-aeb/html" / f"{page_id}.html.gz"
        shutil.copyfile(src, target / src.name)
        meta = trafilatura.extract_metadata(gzip.decompress(src.read_bytes()).decode("utf-8", "replace"))
        world_items.append({"title": (meta.title if meta and meta.title else page_id),
                            "link": f"{O}/real/zyte/{page_id}.html"})
        sources.append((f"/real/zyte/{src.name}", f"{truth[page_id]['url']} via "
                        "scrapinghub/article-extraction-benchmark", "MIT"))
    return es_items, world_items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared" / "corpus")
    shared = parser.parse_args().shared
    if SITE.exists():
        shutil.rmtree(SITE)
    SITE.mkdir()
    sources: list[tuple[str, str, str]] = []
    feeds = written(sources)
    feeds["mundo-hoy"].append(seed_page(shared, sources))
    juliaca = next(i for i in feeds["sur-andino"] if "juliaca-17" in i["link"])
    # The same story again, the way aggregators and AMP pages pass it on: one article.
    feeds["prensa-regional"] += [
        dict(juliaca, link=juliaca["link"] + "?utm_source=prensa-regional&utm_medium=rss"),
        dict(juliaca, link=juliaca["link"] + "?outputType=amp"),
        {"title": "Nota retirada por el medio", "link": f"{O}/prensa-regional/2024/05/nota-retirada.html"},
        {"title": "Video: resumen semanal", "link": f"{O}/prensa-regional/video/resumen-semanal.html"},
        {"title": "Actualización de datos", "link": "http://169.254.169.254/latest/meta-data/"},
        {"title": "Haga clic aquí", "link": "javascript:alert(document.cookie)"},
    ]
    (SITE / "prensa-regional/video").mkdir(parents=True, exist_ok=True)
    (SITE / "prensa-regional/video/resumen-semanal.html").write_text(
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Video: resumen semanal'
        '</title></head><body><header><a href="/">Prensa Regional</a></header><main>'
        '<video src="resumen.mp4" controls></video></main></body></html>\n', encoding="utf-8")
    sources.append(("/prensa-regional/video/resumen-semanal.html",
                    "written for the demo: a page with no text", "CC0 (newsmon)"))
    for outlet, items in feeds.items():
        info = OUTLETS[outlet]
        name = f"{info['name']} — {info['tagline']}"
        link = f"{O}/{outlet}/"
        if info["feed"] == "atom":
            text, file = atom(name, link, info["lang"], items), f"{outlet}/atom.xml"
        else:
            text, file = rss(name, link, info["lang"], items), f"{outlet}/rss.xml"
        (SITE / file).write_text(text, encoding="utf-8")
        sources.append((f"/{file}", "feed written for the demo", "CC0 (newsmon)"))
    es_items, world_items = real_pages(shared, sources)
    (SITE / "real/es/rss.xml").write_text(rss(
        "Prensa latinoamericana (páginas reales de muestra)", f"{O}/real/es/", "es", es_items),
        encoding="utf-8")
    (SITE / "real/zyte/rss.xml").write_text(rss(
        "World wire (real sample pages)", f"{O}/real/zyte/", "en", world_items), encoding="utf-8")
    sources += [("/real/es/rss.xml", "feed written for the demo, listing the real pages", "CC0 (newsmon)"),
                ("/real/zyte/rss.xml", "feed written for the demo, listing the real pages", "CC0 (newsmon)")]
    (SITE / "real/feeds").mkdir(parents=True)
    for feed in REAL_FEEDS:
        shutil.copyfile(shared / "feeds" / feed, SITE / "real/feeds" / Path(feed).name)
        repo = feed.split("/")[0].replace("__", "/")
        licence = (shared / "feeds" / feed.split("/")[0] / "LICENSE").read_text().split("\n")[0]
        sources.append((f"/real/feeds/{Path(feed).name}", f"captured feed from {repo} test data",
                        licence.strip() or "see LICENSES/"))
    licences = SITE / "LICENSES"
    licences.mkdir()
    shutil.copyfile(shared / "articles/es-dev/LICENSE", licences / "trafilatura-Apache-2.0.txt")
    shutil.copyfile(shared / "articles/zyte-aeb/LICENSE", licences / "article-extraction-benchmark-MIT.txt")
    for repo in {f.split("/")[0] for f in REAL_FEEDS}:
        shutil.copyfile(shared / "feeds" / repo / "LICENSE", licences / f"{repo}.txt")
    lines = ["# Sources of the demo corpus", "",
             f"Built by `demo/build_corpus.py` on {datetime.now(timezone.utc):%Y-%m-%d}. "
             "Licence texts are in `site/LICENSES/`.", "",
             "| file (under site/) | source | licence |", "|---|---|---|"]
    lines += [f"| `{path}` | {src} | {lic} |" for path, src, lic in sources]
    (HERE / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
