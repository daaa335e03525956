"""Fetched pages to text and metadata: one page (`page.py`, trafilatura, then
`boilerplate.py`), one page as events with its tags (`worker.py`), and the pool of worker
processes that does it under a time limit per page (`pool.py`, `preload.py`).
"""
