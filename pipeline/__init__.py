"""newsmon: an event-sourced news-monitoring pipeline.

Every fact is an immutable event appended to a store; everything else is read from it.
The packages, each importing only from those listed before it (tests/test_layout.py
checks this):

- `core`: events, settings, configuration files, text from strangers made safe. Pure.
- `store`: the event log, the read models kept current from it, the views (DuckDB).
- `topics`: the topic rule language, tagging, scoring against labelled texts, retagging.
- `stories`: copies of one story across outlets, clustered.
- `ingest`: the network: polling feeds, fetching pages, decoding what servers send.
- `extract`: one page to text and metadata (trafilatura), in a pool of worker processes.
- `trends`: charts of topic volume.
- `alerts`: who is told what, the messages, and sending them once (SMTP).
- `runs`: a run's context, one cycle in this process, and the batches orchestrators run.
- `demo`: the offline demo on bundled real pages, with its own HTTP and SMTP servers.
- `ui`: the `newsmon` command and what it prints and writes.

Modules marked Pure take values and return values; those marked I/O do the talking, and
are kept thin.
"""
