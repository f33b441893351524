"""How the simulated people behave: when they read a text, when they answer, what they answer.

Published figures are named constants with their source beside them; everything else is an
assumption, named as one. Every figure is a field of ``Behaviour`` so a sweep can change it
(``bench/simulate.py --help`` lists them). Sources and choices are set out in bench/README.md.

Draws that decide *what* a person does (free that half day? take this session? say no or stay
silent?) come from ``unit()``, a stable hash of the seed and what is being decided, not from a
random stream: the same GP is free on the same half days and decides the same way about the
same session under every policy, so policies are compared on the same people (common random
numbers) and the differences between them are the policies', not the dice's.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from statistics import NormalDist

from bot.clock import LONDON

# -- published figures ---------------------------------------------------------------------------

# When a text is read. Williams C, Rao A, Ziemba JB, Myers JS, Patel N. "Text Messaging Real-Time
# COVID-19 Clinical Guidance to Hospital Employees". Appl Clin Inform 2021;12(2):259-265,
# doi:10.1055/s-0041-1726117: enterprise texts to ~2,000 on-duty hospital employees, three a week
# for 13 weeks; by read receipts, on average 16% were read within 10 minutes, 34% within 2 hours
# and 60% within 24 hours.
READ_WITHIN: tuple[tuple[float, float], ...] = ((10.0, 0.16), (120.0, 0.34), (24 * 60.0, 0.60))

# How soon replies come. Dynmark (2013), almost a billion SMS through 1,500 networks: 43% of
# responses within the first 15 minutes (operational texts faster: banking 57%, travel 54%).
REPLIES_WITHIN_15_MINUTES = 0.43

# At night. Homier V et al. "A Randomized Trial Comparing Telephone Tree, Text Messaging, and
# Instant Messaging App for Emergency Department Staff Recall for Disaster Response". Prehosp
# Disaster Med 2018;33(6):652-657, PMID 30379128, doi:10.1017/S1049023X18000912: an unannounced
# recall drill at 04:00; of 44 staff texted by SMS, 7 (16%) responded within 45 minutes.
NIGHT_REACHED_WITHIN_45_MINUTES = 0.16

# -- assumptions ---------------------------------------------------------------------------------

# The read-time curve below its first published point: nobody reads in under half a minute.
FIRST_READ_MINUTES = 0.5
# Replies that are not within 15 minutes of reading come by the end of the clinic: spread evenly
# on a log scale from 15 minutes to this.
REPLY_TAIL_MINUTES = 240.0
# Night: the hours the drill's figure stands for (London time). A text read within 45 minutes
# is read at a uniformly drawn moment in them; one that is not waits for the morning.
NIGHT_START, NIGHT_END = time(23, 0), time(7, 0)
# How likely a GP is to be free (and willing to work) on a half day, by weekday. A flexible GP
# has regular work of their own; Friday afternoons and Mondays are the hardest to give.
FREE_BY_HALF_DAY: dict[tuple[int, str], float] = {
    (0, "am"): 0.20, (0, "pm"): 0.20,
    (1, "am"): 0.25, (1, "pm"): 0.25,
    (2, "am"): 0.30, (2, "pm"): 0.25,
    (3, "am"): 0.25, (3, "pm"): 0.25,
    (4, "am"): 0.20, (4, "pm"): 0.15,
}  # fmt: skip


@dataclass(frozen=True)
class Behaviour:
    """The people's behaviour, every figure an option."""

    # When an offer is read (published: READ_WITHIN); beyond the last point, not read at all.
    read_within: tuple[tuple[float, float], ...] = READ_WITHIN
    first_read_minutes: float = FIRST_READ_MINUTES
    # The time from reading to replying (published: Dynmark's 43% within 15 minutes).
    reply_within_15: float = REPLIES_WITHIN_15_MINUTES
    reply_tail_minutes: float = REPLY_TAIL_MINUTES
    # Night reach (published: 16% within 45 minutes at 04:00).
    night_reach_45: float = NIGHT_REACHED_WITHIN_45_MINUTES
    night_start: time = NIGHT_START
    night_end: time = NIGHT_END
    # How often a GP who is free and eligible takes a session they have read (no published
    # figure: the assumption the sweep varies from 10% to 40%). Each GP's own rate is this times
    # a log-normal keenness (mean 1, sigma ``keenness_sigma``), at most 95%.
    accept: float = 0.20
    keenness_sigma: float = 0.75
    # A GP with contracted sessions still unbooked that week takes one they are free for at this
    # rate (they are paid for them anyway).
    contracted_accept: float = 0.80
    # A GP who will not take a session they have read says no (rather than nothing) this often.
    decline_reply: float = 0.50
    # Availability by weekday and half day (assumption: FREE_BY_HALF_DAY), and for a GP who lists
    # their days, this many times as likely on those days (at most 90%).
    free: dict[tuple[int, str], float] = field(default_factory=lambda: dict(FREE_BY_HALF_DAY))
    listed_days_factor: float = 2.0
    # Late drops: this share of bookings is given up (DROP) between two weeks and two hours
    # before the start.
    drop: float = 0.03
    # Holidays: this share of GPs is away for 7 to 14 days in the month and texts PAUSE first.
    holiday: float = 0.10
    # A practice manager or coordinator told a session is still open offers it to everyone
    # (the alert's one tap) this often, when they read it.
    broadcast_on_alert: float = 0.50
    # A GP asked how many hours they worked answers this often.
    hours_answer: float = 0.90

    # -- drawing ----------------------------------------------------------------------------------

    def read_delay(self, rng: random.Random, sent: datetime) -> timedelta | None:
        """How long after ``sent`` the text is read (None: not within a day, so never for us).
        Inside the night, only the drill's share is reached within 45 minutes; the rest read it
        as the morning's first text."""
        if self.is_night(sent):
            if rng.random() < self.night_reach_45:
                return timedelta(minutes=rng.uniform(0.5, 45.0))
            morning = self.night_over(sent)
            later = self._day_delay(rng)
            return None if later is None else morning - sent + later
        return self._day_delay(rng)

    def _day_delay(self, rng: random.Random) -> timedelta | None:
        """Piecewise log-linear through the published points, from FIRST_READ_MINUTES at 0%."""
        u = rng.random()
        low_minutes, low_share = self.first_read_minutes, 0.0
        for minutes, share in self.read_within:
            if u < share:
                fraction = (u - low_share) / (share - low_share)
                return timedelta(minutes=math.exp(_lerp(math.log(low_minutes), math.log(minutes), fraction)))
            low_minutes, low_share = minutes, share
        return None

    def reply_delay(self, rng: random.Random) -> timedelta:
        """From reading to replying: Dynmark's share within 15 minutes (log-uniform from 20 s),
        the rest log-uniform from 15 minutes to ``reply_tail_minutes``."""
        if rng.random() < self.reply_within_15:
            low, high = 1 / 3, 15.0
        else:
            low, high = 15.0, self.reply_tail_minutes
        return timedelta(minutes=math.exp(rng.uniform(math.log(low), math.log(high))))

    def is_night(self, moment: datetime) -> bool:
        clock = moment.astimezone(LONDON).time()
        if self.night_start > self.night_end:
            return clock >= self.night_start or clock < self.night_end
        return self.night_start <= clock < self.night_end

    def night_over(self, moment: datetime) -> datetime:
        """The end of the night ``moment`` is in (London time)."""
        local = moment.astimezone(LONDON)
        day = local.date()
        if local.time() >= self.night_end and self.night_start > self.night_end:
            day += timedelta(days=1)
        return datetime.combine(day, self.night_end, tzinfo=LONDON)

    def keenness(self, seed: int, who: int) -> float:
        """This GP's own acceptance rate."""
        z = _normal(unit(seed, "keen", who))
        sigma = self.keenness_sigma
        return min(0.95, self.accept * math.exp(sigma * z - sigma * sigma / 2))

    def free_on(self, seed: int, who: int, weekday: int, half: str, day: int, listed: bool) -> bool:
        """Whether this GP is free that half day (``day``: a day number, for the stable draw)."""
        share = self.free.get((weekday, half), 0.0)
        if listed:
            share = min(0.9, share * self.listed_days_factor)
        return unit(seed, "free", who, day, half) < share


def _lerp(a: float, b: float, fraction: float) -> float:
    return a + (b - a) * fraction


def _normal(u: float) -> float:
    """The standard normal quantile of ``u``."""
    return NormalDist().inv_cdf(min(max(u, 1e-9), 1 - 1e-9))


def unit(seed: int, *keys: object) -> float:
    """A stable uniform draw in [0, 1) for ``keys`` (the same in every process and policy)."""
    digest = hashlib.blake2b(repr((seed, *keys)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
