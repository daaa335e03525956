"""WebSub (the W3C recommendation once called PubSubHubbub), the subscriber's side: ask
the hub a feed names to push the feed's new content to us, and tell a push the hub
signed from anything else that reaches the callback.

Each feed's subscription has its own secret, derived from one key that stays on this
machine (`NEWSMON_WEBSUB_KEY`, or a file beside the store), so a secret never has to be
stored and a push for one feed cannot pass for another's. A hub proves the subscription
is wanted by echoing a challenge (`runs/serve.py` answers it); its pushes carry an
HMAC of the body, checked here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path

from pipeline.ingest.net import Fetcher, FetchError

LEASE = timedelta(days=1)  # asked for; a hub may grant another, and says which
_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
            "sha512": hashlib.sha512}


def key_for(db: Path | str) -> bytes:
    """The key feed secrets derive from: NEWSMON_WEBSUB_KEY, or one made once and kept
    beside a store file (readable by its owner only)."""
    if os.environ.get("NEWSMON_WEBSUB_KEY"):
        return os.environ["NEWSMON_WEBSUB_KEY"].encode()
    if not isinstance(db, Path):
        raise ValueError("set NEWSMON_WEBSUB_KEY: a DuckLake store has no folder of its own to keep one in")
    path = db.with_name(db.name + ".websub-key")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def feed_secret(key: bytes, feed_id: str) -> str:
    return hmac.new(key, f"websub:{feed_id}".encode(), hashlib.sha256).hexdigest()


def signed(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether `signature` (X-Hub-Signature: "sha256=<hex>") is the hub's HMAC of `body`."""
    method, _, given = (signature or "").partition("=")
    digest = _METHODS.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


async def subscribe(fetcher: Fetcher, hub: str, topic: str, callback: str, secret: str,
                    lease: timedelta = LEASE) -> None:
    """Ask `hub` to push `topic` to `callback`; a FetchError when it does not accept.
    The hub then checks with a GET to the callback before the subscription holds."""
    status = await fetcher.post(hub, {
        "hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback,
        "hub.secret": secret, "hub.lease_seconds": str(int(lease.total_seconds()))})
    if status not in (202, 204):
        raise FetchError(f"http_{status // 100}xx", f"the hub answered {status} to the subscription",
                         status)
