"""What every extraction worker needs before its first page, loaded once per run in the
pool's fork server, from which each worker is forked ready: the modules of `analyse`,
py3langid's model (`language.py`), and what
the libraries load on their first page (trafilatura's and htmldate's lazy tables,
courlan's list of domain suffixes, dateparser's Spanish): one page extracted here; and
the tagger of the topics the environment names. Each worker paid about 0.2 s for those
on its first page, and about a second for the rest when workers were spawned, again for
every replacement of a killed one.

Imported by the fork server only: importing it elsewhere loads a 70 MB model for
nothing."""

import atexit
import os
import sys
import traceback

from courlan import extract_domain

from pipeline.core.settings import from_env
from pipeline.extract import worker
from pipeline.extract.page import extract_page
from pipeline.stories.clustering import signature
from pipeline.topics.definitions import load_topics


def _quiet_when_the_pool_is_gone(kind, value, tb, default=sys.excepthook) -> None:
    """A worker forked as its pool closes (pebble replacing a killed worker at the end of
    a stage) finds the pool's semaphore already gone while it unpickles its start-up
    (cpython#94765), and the fork server printed that FileNotFoundError's traceback.
    Nothing was lost: no page was given to that worker. Anything else is printed."""
    starting = any(frame.f_code.co_name == "_main" and frame.f_code.co_filename.endswith("spawn.py")
                   for frame, _ in traceback.walk_tb(tb))
    if not (isinstance(value, FileNotFoundError) and starting):
        default(kind, value, tb)


sys.excepthook = _quiet_when_the_pool_is_gone  # this module runs in the fork server only


def _in_the_fork_server() -> bool:
    """Whether multiprocessing's fork server is importing this module (a test may too)."""
    server = os.path.join("multiprocessing", "forkserver.py")
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "main" and frame.f_code.co_filename.endswith(server):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


if _in_the_fork_server():
    # The fork server ends when its command does, and its interpreter's teardown (the
    # extraction libraries' objects freed one by one: 0.1-0.2 s) kept the command's
    # output pipes open: whoever ran the command waited for it. Nothing of it needs
    # finalizing (its workers end with os._exit): out at once, after the exit handlers.
    atexit.register(os._exit, 0)

# Made up, shaped like the pages newsmon reads: a Spanish article whose date is only in
# its visible date line, so that the date cascade goes down to dateparser.
_PAGE = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">
<title>Bloqueo de carreteras en Puno | Diario del Sur</title>
<meta name="description" content="Los gremios anuncian un paro regional."></head>
<body><header><nav><a href="/">Inicio</a> <a href="/region">Región</a></nav></header>
<article><h1>Bloqueo de carreteras en Puno</h1>
<p class="autor">Por María Quispe</p><span class="fecha">Jueves, 21 de abril de 2022</span>
<p>Los gremios de transportistas y agricultores de Puno anunciaron un paro regional de
cuarenta y ocho horas a partir del lunes, con bloqueos en las principales carreteras que
unen la ciudad con Juliaca y con la frontera boliviana.</p>
<p>Según los dirigentes, la medida responde al incumplimiento de los acuerdos firmados
con el gobierno central el año pasado sobre el precio de los combustibles y la
reparación de las vías rurales de la región altiplánica.</p>
<p>La prefectura informó que mantendrá el diálogo con las organizaciones y pidió a la
población no interrumpir el tránsito de ambulancias ni de vehículos de carga.</p>
</article><footer>© 2022 Diario del Sur</footer></body></html>"""

extraction = None  # what the warm-up found; a test reads it
try:
    extraction = extract_page(_PAGE, "https://diariodelsur.example/region/puno-bloqueo")
    signature(extraction.text if extraction else "una frase cualquiera para la firma")
    # courlan's list of domain suffixes, which trafilatura reads only for a host its
    # quick check cannot split (www.gob.pe, an address); the page above has none, and
    # each worker read it on its first such page (30 ms, 0.1 s beside a busy process)
    extract_domain("https://www.gob.pe/institucion/regionpuno", fast=False)
except Exception:  # noqa: BLE001 - the fork server must start all the same: each worker
    pass           # meets the fault again, and each page records it as an extraction error

try:  # the topics the environment names (a command's --topics may name others)
    worker.prepare_tagger(load_topics(from_env().topics))
except Exception:  # noqa: BLE001 - each worker builds its own, and meets the fault, if any
    pass
