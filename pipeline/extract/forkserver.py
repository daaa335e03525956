"""The fork server the extraction workers are forked from (`pool.py`), started as early
as a command knows it will extract: it loads what the workers need (`preload.py`: the
extraction libraries, the language model; 1.4 s) on another core
while the command imports and reads what it needs itself. This module imports nothing
else, so that the command can start it before its own imports.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import sys
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from typing import Iterator


def worker_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that has loaded what they need (`preload`),
    not forked from this process, which would copy its threads and address space
    (DuckDB, the event loop) into every worker and count them against its memory
    limit, and not spawned, which makes every worker load it all again."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.extract.preload"])
    return context


def warm_up_workers() -> None:
    """Start the fork server now (if it is not running yet), so that it loads what the
    workers need while this process goes on. A run that finds nothing to fetch has
    spent that for nothing, on another core."""
    with main_script_not_rerun():
        worker_context()  # tells the fork server what to load
        multiprocessing.forkserver.ensure_running()


@contextmanager
def main_script_not_rerun() -> Iterator[None]:
    """A process started by spawn or by a fork server first runs the parent's main module
    again (`python -m x`: x; a script: the script), unless that is named `__main__`. Our
    workers need nothing from it, it costs them start-up time, and some fail there:
    under Airflow's Celery worker it is `bin/airflow`, which imports Airflow, which
    refuses the database URL its task processes are given; every worker died at start
    and pebble started another, for ever. Pebble may start workers at any time while the
    pool is open, so the name stays until it closes."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = spec
