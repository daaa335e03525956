"""`newsmon demo`: the whole pipeline offline on bundled real feeds and pages (`run.py`),
served by a loopback HTTP server (`siteserver.py`), with alerts caught by a loopback SMTP
server (`mailcatcher.py`).
"""

from pathlib import Path

DEMO_DB = Path("newsmon-demo.duckdb")
DEMO_MAIL = Path("newsmon-demo-mail")
DEMO_PORT = 8765


class DemoError(Exception):
    """The demo cannot start (its port is taken): one line for the user."""
