"""Continuous mode on one machine (`newsmon watch`): a cycle every `every` (a minute by
default), each feed polled at its own pace (`ingest/schedule.py`), the new articles
fetched, tagged and committed, immediate alerts sent. A cycle is `run_cycle`, the same as
`newsmon run`; between cycles nothing is held open but the extraction workers.

A first SIGINT or SIGTERM lets the cycle under way finish (what it did is committed;
nothing is lost or recorded twice), then the loop ends; a second interrupts the cycle
at once, and what was committed before stays.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from typing import Callable, Protocol

from pipeline.runs.context import Context, Report
from pipeline.runs.cycle import run_cycle


class Stop:
    """Asked for by the first SIGINT or SIGTERM; the second is a KeyboardInterrupt.

    Not a `threading.Event`: its `set` takes a lock, and a signal handler runs in the
    main thread between any two bytecodes, perhaps while that same thread holds the
    lock inside `Event.wait`; the handler would wait for itself for ever. Here the
    handler only assigns a flag, and `wait` sleeps in short steps, looking at it."""

    STEP = 0.1  # seconds between looks at the flag

    def __init__(self, said: Callable[[str], None]):
        self.asked, self.said = False, said

    def __enter__(self) -> "Stop":
        self.before = {s: signal.signal(s, self._asked) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self.before.items():
            signal.signal(number, handler)

    def _asked(self, number, frame) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        self.said(f"{signal.Signals(number).name}: finishing what is under way, then stopping "
                  "(again to stop at once)")

    def is_set(self) -> bool:
        return self.asked

    def wait(self, seconds: float) -> bool:
        """Sleep `seconds`, or less once asked to stop; whether asked."""
        end = time.monotonic() + seconds
        while not self.asked and (left := end - time.monotonic()) > 0:
            time.sleep(min(self.STEP, left))
        return self.asked


class Stopping(Protocol):
    def is_set(self) -> bool: ...

    def wait(self, seconds: float) -> bool: ...


def watch(open_context: Callable[[], Context], every: timedelta, stop: Stopping,
          after_each: Callable[[Context, Report], None], cycles: int | None = None) -> int:
    """Run cycles until `stop` is set (or `cycles` have run); the number run."""
    done = 0
    while not stop.is_set() and (cycles is None or done < cycles):
        started = time.monotonic()
        ctx = open_context()  # the configuration read again: edits count from the next cycle
        after_each(ctx, run_cycle(ctx))
        done += 1
        if cycles is not None and done >= cycles:
            break
        stop.wait(max(0.0, every.total_seconds() - (time.monotonic() - started)))
    return done
