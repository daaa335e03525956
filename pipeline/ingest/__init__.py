"""Getting what outlets publish: the only network code (`net.py`, with the content codings
it decodes under a cap in `codings.py`), feed documents to entries (`feeds.py`), article
identity from URLs (`urls.py`), the poll stage (`poll.py`) and fetching the planned
articles (`articles.py`).
"""
