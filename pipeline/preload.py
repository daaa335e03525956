"""What every extraction worker needs before its first page, loaded once per run in the
pool's fork server, from which each worker is forked ready: the modules of `analyse`,
py3langid's model (0.35 s to decompress) and datasketch with its permutations. Spawned,
each worker paid about a second for these, again for every worker and for every
replacement of a killed one.

Imported by the fork server only: importing it elsewhere loads a 70 MB model for
nothing."""

from . import analyse  # noqa: F401
from .extract import detect_language
from .stories import signature

try:
    detect_language("una frase cualquiera para cargar el modelo")
    signature("una frase cualquiera para cargar el modelo")
except Exception:  # noqa: BLE001 - the fork server must start all the same: each worker
    pass           # meets the fault again, and each page records it as an extraction error
