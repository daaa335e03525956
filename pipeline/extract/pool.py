"""The extraction workers (I/O): a pool of processes (pebble) that extract and tag one
page at a time with a time limit, so every core extracts and one pathological page costs
a killed worker, not the run. Workers never see the store: they get a page and return
events (`worker.py`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from datetime import datetime
from typing import Callable

from pebble import ProcessExpired, ProcessPool

from pipeline.core import events as ev
from pipeline.core.config import load_sites
from pipeline.core.settings import Settings
from pipeline.extract.forkserver import main_script_not_rerun, worker_context
from pipeline.extract.worker import Page, analyse_in_worker, read_in_worker, start_worker
from pipeline.ingest.articles import ArticlePlan, NoWorker
from pipeline.ingest.net import Response
from pipeline.ingest.revisions import ReadError
from pipeline.topics.definitions import TopicsFile


class ExtractionPool:
    """`with ExtractionPool(settings, topics) as pool: await pool.extract(plan, page, fetched)`"""

    def __init__(self, settings: Settings, topics: TopicsFile, clock: Callable[[], datetime]):
        self.settings, self.clock = settings, clock
        memory = settings.extract_memory_mb * 2**20 if settings.extract_memory_mb else None
        self._args = (topics.model_dump(mode="json"),
                      load_sites(settings.sites).model_dump(mode="json"), memory)
        self._pool: ProcessPool | None = None
        self._starting: threading.Thread | None = None
        self._open = ExitStack()

    def __enter__(self) -> "ExtractionPool":
        if multiprocessing.current_process().daemon:
            # Celery's default prefork pool runs tasks in daemonic processes, which may
            # not start the extraction workers: every article would fail the same way.
            raise RuntimeError("extraction needs worker processes, and this process is "
                               "daemonic (a Celery prefork pool?): run Celery workers with "
                               "[celery] pool = solo, one task each, several per machine")
        with ExitStack() as opening:
            opening.enter_context(main_script_not_rerun())
            self._pool = opening.enter_context(ProcessPool(
                max_workers=self.settings.workers, initializer=start_worker,
                initargs=self._args, context=worker_context()))
            self._open = opening.pop_all()
        # pebble forks its workers at the first page given to it, and that call waits
        # for them (and for the fork server's preload, if it is still loading), the
        # event loop with it: fork them now, beside the first fetches
        self._starting = threading.Thread(target=self._fork_workers, daemon=True,
                                          name="newsmon-workers-start")
        self._starting.start()
        return self

    def _fork_workers(self) -> None:
        assert self._pool is not None
        try:
            self._pool.schedule(os.getpid)  # a task any worker does at once
        except Exception:  # noqa: BLE001 - a pool that broke at once: the first page
            pass           # given to it meets the fault, and records it

    def __exit__(self, *exc) -> None:
        if self._starting is not None:
            self._starting.join()
        self._open.close()  # the pool's own exit waits for its workers

    async def read(self, response: Response) -> tuple[str | None, str] | None:
        """The title and main text of a page (None: it has none), with the limits of
        `extract`; a ReadError when the worker could not read it."""
        try:
            return await self._run(read_in_worker, response.url, response.body, response.charset)
        except NoWorker as error:
            raise ReadError("workers_down", str(error)) from None

    async def extract(self, plan: ArticlePlan, response: Response, fetched: ev.Event) -> list[ev.Event]:
        """The events of extracting and tagging one fetched page; NoWorker when there is no
        worker left to do it."""
        return await self.analyse(plan, response)

    async def analyse(self, plan: ArticlePlan, response: Response) -> list[ev.Event]:
        """`extract`, for a page however it was had (fetched, or read from the archive)."""
        page = Page(plan.article_id, plan.attempt, response.url, response.body, response.charset,
                    plan.title, plan.published)
        try:
            return await self._run(analyse_in_worker, page, self.clock())
        except ReadError as error:
            return [ev.article_extraction_failed(plan.article_id, plan.attempt, self.clock(),
                                                 error_class=error.error_class, detail=error.detail)]

    async def _run(self, work, *args):
        """`work(*args)` in a worker, within the time limit: NoWorker when there is no
        worker to do it, a ReadError (with its class) when the work failed."""
        assert self._pool is not None, "use ExtractionPool as a context manager"
        try:
            future = self._pool.schedule(work, args=args, timeout=self.settings.extract_timeout)
        except RuntimeError as error:  # pebble's word for a pool that broke or stopped
            raise NoWorker(f"{type(error).__name__}: {error}") from None
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as error:
            raise NoWorker(f"BrokenProcessPool: {error}") from None
        except FutureTimeout:
            error_class, detail = "timeout", f"extraction took over {self.settings.extract_timeout:g} s"
        except MemoryError:
            error_class, detail = "too_large", "extraction ran out of its memory limit"
        except ProcessExpired as error:
            error_class, detail = "worker_died", f"the extraction worker died ({error})"
        except Exception as error:  # a bug or a page the libraries choke on: record, go on
            error_class, detail = "extractor_error", f"{type(error).__name__}: {error}"
        raise ReadError(error_class, detail)
