"""A peer for bench/pipeline.py: what a user would write with the four libraries newsmon
is made of, one loop, no pipeline. Reads the feeds file (JSON, as the benchmark writes it)
and stores each new article's title, date and text in a DuckDB table.

    python bench/plain_script.py STORE.duckdb FEEDS.json
"""

import json
import sys

import duckdb
import feedparser
import httpx
import trafilatura

store, feeds = sys.argv[1], json.load(open(sys.argv[2]))["feeds"]
con = duckdb.connect(store)
con.execute("CREATE TABLE IF NOT EXISTS articles (url VARCHAR PRIMARY KEY, feed VARCHAR, "
            "title VARCHAR, published VARCHAR, text VARCHAR)")
extracted = 0
with httpx.Client(timeout=30, follow_redirects=True) as client:
    for feed in feeds:
        for entry in feedparser.parse(client.get(feed["url"]).content).entries:
            if con.execute("SELECT 1 FROM articles WHERE url = ?", [entry.link]).fetchone():
                continue
            page = client.get(entry.link)
            if page.status_code != 200:
                continue
            doc = trafilatura.bare_extraction(page.text, url=entry.link, with_metadata=True)
            if doc is not None:
                con.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?)",
                            [entry.link, feed["id"], doc.title, doc.date, doc.text])
                extracted += 1
con.close()
print(json.dumps({"extracted": extracted}))
