"""`newsmon demo`: the whole pipeline offline on bundled real feeds and pages (`run.py`),
served by a loopback HTTP server (`siteserver.py`), with alerts caught by a loopback SMTP
server (`mailcatcher.py`).
"""
