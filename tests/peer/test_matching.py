"""Mentor matching: the hard rules hold and the result is optimal (the most mentees matched,
then the highest total fit), checked against brute force on many small random instances."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.peer.matching import Mentee, Mentor, allowed, fit, propose

INTERESTS = ["teaching", "minor surgery", "dermatology", "leadership"]
PRACTICES = ["A", "B", "C", None]
STAGES = ["fellow", "newly_qualified", "returner", "salaried", "partner"]

mentors = st.lists(
    st.builds(
        Mentor,
        id=st.integers(1, 1),  # replaced below by position
        practice=st.sampled_from(PRACTICES),
        capacity=st.integers(0, 2),
        interests=st.frozensets(st.sampled_from(INTERESTS), max_size=2),
        localities=st.frozensets(st.sampled_from(["North", "South"]), max_size=1),
        stage=st.sampled_from(STAGES),
    ),
    min_size=1,
    max_size=3,
)
mentees = st.lists(
    st.builds(
        Mentee,
        id=st.integers(1, 1),
        practice=st.sampled_from(PRACTICES),
        interests=st.frozensets(st.sampled_from(INTERESTS), max_size=2),
        locality=st.sampled_from(["North", "South", None]),
        stage=st.sampled_from(STAGES),
    ),
    min_size=0,
    max_size=4,
)


def numbered(mentor_list, mentee_list):
    return (
        [Mentor(100 + n, m.practice, m.capacity, m.interests, m.localities, m.stage) for n, m in enumerate(mentor_list)],
        [Mentee(n + 1, m.practice, m.interests, m.locality, m.stage) for n, m in enumerate(mentee_list)],
    )  # fmt: skip


def brute_force(mentor_list, mentee_list, ended, used):
    """The best (matched, total fit) over every assignment, by trying them all."""
    options = [None, *mentor_list]
    best = (0, 0)
    for choice in itertools.product(options, repeat=len(mentee_list)):
        load = dict(used)
        ok, matched, total = True, 0, 0
        for mentee, mentor in zip(mentee_list, choice, strict=True):
            if mentor is None:
                continue
            load[mentor.id] = load.get(mentor.id, 0) + 1
            if load[mentor.id] > mentor.capacity or not allowed(mentor, mentee, ended):
                ok = False
                break
            matched += 1
            total += fit(mentor, mentee)[0]
        if ok:
            best = max(best, (matched, total))
    return best


@settings(max_examples=300, deadline=None)
@given(mentors, mentees, st.data())
def test_matching_keeps_the_rules_and_is_optimal(mentor_list, mentee_list, data) -> None:
    mentor_list, mentee_list = numbered(mentor_list, mentee_list)
    pairs = [(e.id, m.id) for e in mentee_list for m in mentor_list]
    ended = set(data.draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True))) if pairs else set()
    # Perhaps one standing pair, which must be kept and use up its mentor's capacity.
    existing = []
    if mentee_list and data.draw(st.booleans()):
        candidates = [(e.id, m.id) for e in mentee_list for m in mentor_list if m.capacity > 0]
        if candidates:
            existing = [data.draw(st.sampled_from(candidates))]
    proposals = propose(mentor_list, mentee_list, existing, ended)

    by_id = {m.id: m for m in mentor_list}
    mentee_by_id = {e.id: e for e in mentee_list}
    load: dict[int, int] = {}
    for _, mentor in existing:
        load[mentor] = load.get(mentor, 0) + 1
    for p in proposals:
        load[p.mentor] = load.get(p.mentor, 0) + 1
        assert load[p.mentor] <= by_id[p.mentor].capacity, "capacity never exceeded"
        assert allowed(by_id[p.mentor], mentee_by_id[p.mentee], ended), "no same practice, no repeat"
        assert p.why, "each pair explained"
    assert len({p.mentee for p in proposals}) == len(proposals)
    assert not {p.mentee for p in proposals} & {e for e, _ in existing}, "existing pairs kept as they are"

    used = {}
    for _, mentor in existing:
        used[mentor] = used.get(mentor, 0) + 1
    waiting = [e for e in mentee_list if e.id not in {x for x, _ in existing}]
    assert (len(proposals), sum(p.fit for p in proposals)) == brute_force(mentor_list, waiting, ended, used)


def test_a_proposal_is_explained_in_one_line() -> None:
    mentor = Mentor(100, "A", 1, frozenset({"teaching"}), frozenset({"North"}), "partner")
    mentee = Mentee(1, "B", frozenset({"teaching"}), "North", "fellow")
    [proposal] = propose([mentor], [mentee])
    assert proposal.why == "both interested in teaching; both in North; a partner mentoring a fellow"
    assert propose([mentor], [Mentee(2, "A")]) == [], "never within the same practice"
