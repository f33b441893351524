"""Mentor matching: the most waiting mentees matched that capacity allows and, among those,
the highest total fit, found with an assignment solver (scipy's linear_sum_assignment), never
a greedy loop.

Hard rules: a mentor's capacity; never two people from the same practice; never a pairing
that ended before; existing pairs are kept as they are (they use up capacity and are not
proposed again). Fit: shared interests, career stage, locality. Each proposal is explained
in one line. Pure: the lead approves what this proposes before anyone is told.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Career stages in order; a mentor further along than the mentee fits better.
STAGES = ("fellow", "newly_qualified", "returner", "salaried", "locum", "partner")


@dataclass(frozen=True, slots=True)
class Mentor:
    id: int
    practice: str | None
    capacity: int  # mentees at once
    interests: frozenset[str] = frozenset()
    localities: frozenset[str] = frozenset()
    stage: str = "partner"


@dataclass(frozen=True, slots=True)
class Mentee:
    id: int
    practice: str | None
    interests: frozenset[str] = frozenset()
    locality: str | None = None
    stage: str = "fellow"


@dataclass(frozen=True, slots=True)
class Proposal:
    mentee: int
    mentor: int
    fit: int
    why: str


def fit(mentor: Mentor, mentee: Mentee) -> tuple[int, str]:
    """The fit score and its one-line reason: 3 a shared interest, 2 the same locality, 1 a
    mentor further along in their career."""
    shared = sorted(mentor.interests & mentee.interests)
    local = mentee.locality is not None and mentee.locality in mentor.localities
    ahead = _stage(mentor.stage) > _stage(mentee.stage)
    score = 3 * len(shared) + (2 if local else 0) + (1 if ahead else 0)
    reasons = []
    if shared:
        reasons.append("both interested in " + ", ".join(shared))
    if local:
        reasons.append(f"both in {mentee.locality}")
    if ahead:
        reasons.append(f"a {mentor.stage.replace('_', ' ')} mentoring a {mentee.stage.replace('_', ' ')}")
    return score, "; ".join(reasons) or "capacity free; no shared interests or locality"


def _stage(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


def allowed(mentor: Mentor, mentee: Mentee, ended: set[tuple[int, int]]) -> bool:
    same_practice = mentor.practice is not None and mentor.practice == mentee.practice
    return not same_practice and (mentee.id, mentor.id) not in ended and mentor.id != mentee.id


def propose(
    mentors: Sequence[Mentor],
    waiting: Sequence[Mentee],
    existing: Iterable[tuple[int, int]] = (),
    ended: Iterable[tuple[int, int]] = (),
) -> list[Proposal]:
    """Pairs for the waiting mentees. ``existing``: (mentee, mentor) pairs that stand;
    ``ended``: (mentee, mentor) pairs that must not be made again."""
    kept = list(existing)
    paired = {mentee for mentee, _ in kept}
    used: dict[int, int] = {}
    for _, mentor in kept:
        used[mentor] = used.get(mentor, 0) + 1
    ended_pairs = set(ended)
    slots = [m for m in mentors for _ in range(max(0, m.capacity - used.get(m.id, 0)))]
    people = [m for m in waiting if m.id not in paired]
    if not slots or not people:
        return []
    # Every match is worth more than all fit together, so the solver first matches as many
    # mentees as it can and then, among those matchings, takes the best total fit.
    fits = {(i, j): fit(slot, person) for i, person in enumerate(people) for j, slot in enumerate(slots)}
    bonus = 1 + sum(score for score, _ in fits.values())
    forbidden = 0.0  # no better than leaving the mentee for now (the dummy columns)
    # numpy and scipy cost about 80 MB resident: imported when a matching run needs them, so a
    # pool that never matches mentors (and every idle server) does not carry them.
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    value = np.full((len(people), len(slots) + len(people)), 0.0)
    for (i, j), (score, _) in fits.items():
        value[i, j] = bonus + score if allowed(slots[j], people[i], ended_pairs) else forbidden
    rows, cols = linear_sum_assignment(value, maximize=True)
    proposals = []
    for i, j in zip(rows, cols, strict=True):
        if j < len(slots) and allowed(slots[j], people[i], ended_pairs) and value[i, j] > 0:
            score, why = fits[(i, j)]
            proposals.append(Proposal(people[i].id, slots[j].id, score, why))
    return sorted(proposals, key=lambda p: p.mentee)
