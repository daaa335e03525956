"""How often to poll each feed, learned from its polls. Pure.

A feed's rate is the articles its polls found first over the last week, per hour of
that week it was watched. The polls an hour (by default as many as an hourly run of
every feed makes) are shared so that each feed is polled at a rate that grows with
the square root of its own, the allocation that makes the mean wait for an article
least under a fixed number of requests: busy feeds every few minutes, quiet ones every
few hours, within the bounds the settings give. A poll whose every entry was new may
have missed some that scrolled off the feed: the next comes sooner. A server's own
word on freshness (Cache-Control max-age, RSS ttl) is honoured up to an hour.
Failures keep their own backoff (`poll.next_poll`); a feed is never left longer than
the upper bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from pipeline.core.settings import Settings

FIRST = timedelta(hours=1)      # until a feed's polls have told its rate
HINT_CAP = timedelta(hours=1)   # a server's max-age or ttl is honoured up to this
HOUR = timedelta(hours=1)
PRIOR = timedelta(days=1)       # a rate is counted as if one article came in a day more
SCHEDULED = "not due yet at their pace"  # why a feed paced so waits (`poll.Waiting.kind`)


@dataclass(frozen=True)
class Schedule:
    shortest: timedelta = timedelta(minutes=5)
    longest: timedelta = timedelta(hours=12)
    budget: float | None = None   # polls an hour in all; None: one a feed, as hourly runs make


@dataclass(frozen=True)
class Rate:
    """What a feed's successful polls of the last week say (`poll_rates.sql`)."""
    polls: int
    found: int                    # articles its polls found first
    watched: timedelta            # from the first of those polls to the last
    last_entries: int | None = None   # entries the last poll listed
    last_new: int | None = None       # of which new
    hint: timedelta | None = None     # max-age or ttl the server gave last

    @property
    def per_hour(self) -> float | None:
        """Articles an hour, as if a day before the week watched had brought one: a feed
        silent for a few hours is not yet a feed silent for good, and is not left for the
        longest wait on so little. None while two polls have not told anything."""
        if self.polls < 2 or self.watched <= timedelta(0):
            return None
        return (self.found + 1) / ((self.watched + PRIOR) / HOUR)


def schedule_for(settings: Settings) -> Schedule | None:
    """How the settings pace the polls; None: every feed at every run."""
    if not settings.paced:
        return None
    return Schedule(timedelta(seconds=settings.poll_shortest), timedelta(seconds=settings.poll_longest),
                    settings.poll_budget)


def intervals(rates: dict[str, Rate | None], schedule: Schedule) -> dict[str, timedelta]:
    """Each feed's time from its last successful poll to its next: the budget (polls an
    hour) shared so that each feed's share grows with the square root of its rate;
    feeds still learning get `FIRST`."""
    budget = schedule.budget if schedule.budget is not None else float(len(rates))
    learning = [f for f, r in rates.items() if r is None or r.per_hour is None]
    roots = {f: math.sqrt(r.per_hour) for f, r in rates.items()
             if r is not None and r.per_hour is not None}
    left = budget - len(learning) * (HOUR / FIRST)
    # interval_f = scale / root_f makes sum(1 / interval_f) = sum(roots) / scale = left
    scale = HOUR * sum(roots.values()) / left if left > 0 else schedule.longest
    chosen: dict[str, timedelta] = {f: FIRST for f in learning}
    for feed, root in roots.items():
        rate = rates[feed]
        assert rate is not None
        wait = scale / root
        if rate.last_entries and rate.last_new == rate.last_entries:
            wait /= 2  # all new: entries may have scrolled off unseen
        chosen[feed] = wait
    for feed, rate in rates.items():
        wait = chosen[feed]
        if rate is not None and rate.hint:
            wait = max(wait, min(rate.hint, HINT_CAP))
        chosen[feed] = min(max(wait, schedule.shortest), schedule.longest)
    return chosen
