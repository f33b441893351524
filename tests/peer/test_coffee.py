"""Coffee rounds: everyone in a pod (pairs, one trio when the number is odd), no repeat of a
recent pairing where that can be avoided (checked against brute force), and said when not."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import CoffeeRound, CreateGroup
from flows.peer.coffee import pair
from tests.harness import Harness


def partitions(people: list[int]):
    """Every way to put ``people`` into pairs, with one trio when the number is odd."""
    if len(people) < 2:
        yield []
        return
    if len(people) == 3:
        yield [tuple(people)]
    first, rest = people[0], people[1:]
    for other in rest:
        remaining = [p for p in rest if p != other]
        if len(remaining) != 1:
            for tail in partitions(remaining):
                yield [(first, other), *tail]
    if len(people) % 2 == 1 and len(people) > 3:
        for a, b in combinations(rest, 2):
            remaining = [p for p in rest if p not in (a, b)]
            for tail in partitions(remaining):
                if all(len(pod) == 2 for pod in tail):
                    yield [(first, a, b), *tail]


def repeats(pods, met: set[frozenset[int]]) -> int:
    return sum(frozenset(p) in met for pod in pods for p in combinations(pod, 2))


@st.composite
def histories(draw):
    n = draw(st.integers(2, 7))
    people = list(range(1, n + 1))
    rounds = draw(st.lists(st.permutations(people), max_size=3))
    recent = []
    for order in rounds:
        pods = [set(order[i : i + 2]) for i in range(0, n - n % 2, 2)]
        if n % 2:
            pods[-1].add(order[-1])
        recent.append(pods)
    return people, recent


@settings(max_examples=200, deadline=None)
@given(histories())
def test_pods_cover_everyone_and_repeat_as_little_as_brute_force_can(case) -> None:
    people, recent = case
    found = pair(people, recent)
    flat = [p for pod in found.pods for p in pod]
    assert sorted(flat) == people, "everyone, once"
    pairs, trios = divmod(len(people), 2)
    assert sorted(len(pod) for pod in found.pods) == [2] * (pairs - trios) + [3] * trios
    met = {frozenset(p) for pods in recent for pod in pods for p in combinations(sorted(pod), 2)}
    best = min(repeats(pods, met) for pods in partitions(people))
    assert repeats(found.pods, met) == best == len(found.repeats)


def test_rounds_avoid_repeats_until_they_cannot() -> None:
    people = [1, 2, 3, 4]
    history: list = []
    seen: set[frozenset[int]] = set()
    for _ in range(3):  # four people have exactly three ways to pair up
        found = pair(people, history)
        assert not found.repeats
        pairs = {frozenset(pod) for pod in found.pods}
        assert not pairs & seen
        seen |= pairs
        history.insert(0, [set(pod) for pod in found.pods])
    assert pair(people, history).repeats, "a fourth round must repeat, and says so"


async def test_a_round_tells_each_pod_and_the_trio_and_keeps_monthly(pool: Harness) -> None:
    lead = await pool.member("Lee Lead", roles=("lead",))
    members = [await pool.gp(f"Dr {n}") for n in ("Ana", "Ben", "Cai", "Dee", "Eve")]
    await pool.pool.engine.execute(
        CreateGroup("Sessional GPs", "peer_support", tuple(m.phone for m in members), by=lead.id),
        actor="test",
    )
    result = await pool.pool.engine.execute(
        CoffeeRound("Sessional GPs", monthly=True, by=lead.id), actor="test"
    )
    assert sorted(len(pod) for pod in result.pods) == [2, 3] and result.repeats == 0
    for member in members:
        note = await pool.last(member)
        assert note.kind == "peer_coffee" and note.body.startswith("Coffee round, Sessional GPs: meet Dr ")
        assert member.name not in note.body
    trio = next(pod for pod in result.pods if len(pod) == 3)
    assert " and Dr " in (await pool.last(next(m for m in members if m.name == trio[0]))).body
    await pool.advance(weeks=4)
    assert len([m for m in await pool.messages(members[0]) if m.kind == "peer_coffee"]) == 2, "monthly"
    await pool.pool.engine.execute(CoffeeRound("Sessional GPs", monthly=False, by=lead.id), actor="test")
    await pool.advance(weeks=4, hours=1)
    assert len([m for m in await pool.messages(members[0]) if m.kind == "peer_coffee"]) == 3, "stopped"
