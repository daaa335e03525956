"""The language a text is written in (py3langid), with its model kept decompressed.

py3langid ships its model LZMA-compressed and decompresses it whenever a process first
names a language: 0.6 s at the start of every extraction pool (in its fork server: every
`newsmon run`, every Airflow task that extracts). The first time, the decompressed model
(py3langid's own npz) is written to newsmon's cache folder (`$XDG_CACHE_HOME/newsmon`,
else `~/.cache/newsmon`, 68 MB); later processes read it in 0.1 s. Its name holds
py3langid's version and the shipped model's size, so an upgrade writes a new one. A cache
that cannot be written or read is passed by: py3langid then loads its model as it would.
"""

from __future__ import annotations

import lzma
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import numpy as np
import py3langid
from py3langid import langid, modelio

_classify: Callable[[str], tuple[str, float]] | None = None


def classify(text: str) -> str:
    """The language of `text`, as py3langid names it."""
    global _classify
    if _classify is None:
        cached = _cached()
        _classify = cached.classify if cached is not None else py3langid.classify
    return _classify(text)[0]


def _folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsmon"


def _cached() -> langid.LanguageIdentifier | None:
    """py3langid's identifier made of the cached model (written first if need be); None
    when the cache fails, whatever the reason (a read-only home, another py3langid)."""
    try:
        shipped = langid.MODEL_DIR / langid.MODEL_FILE
        cached = _folder() / f"py3langid-{version('py3langid')}-{shipped.stat().st_size}.npz"
        if not cached.exists():
            _decompress(shipped, cached)
        with np.load(cached, allow_pickle=False) as model:
            # as py3langid's own loader makes it of the same arrays (modelio.load_model)
            return langid.LanguageIdentifier(
                np.asarray(model["ptc"]), np.asarray(model["pc"]), model["classes"].tolist(),
                modelio._to_array(model["nextmove"]), model["out_feat"].tolist(),
                tk_row=modelio._to_array(model["nextmove_row"]))
    except Exception:  # noqa: BLE001 - whatever failed, py3langid's own loading names the
        return None     # language all the same (a file is only ever renamed into place whole)


def _decompress(shipped: Path, cached: Path) -> None:
    """The model decompressed into the cache, whole or not at all (another process may
    be writing the same file: each writes its own and the last rename wins)."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cached.parent, suffix=".part", delete=False) as out:
        try:
            with lzma.open(shipped) as source:
                shutil.copyfileobj(source, out, length=1 << 20)
            out.close()
            os.replace(out.name, cached)
        except BaseException:
            os.unlink(out.name)
            raise
