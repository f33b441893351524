"""Coffee rounds, against isolation: the members of a peer group are paired with someone they
have not met lately (a trio when the number is odd), once or every four weeks.

Pods come from a maximum-weight matching (networkx): a pair who have not met in the last
rounds is worth far more than a repeat, so repeats happen only when they cannot be avoided,
and then the people concerned are told so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import combinations

from bot.commands import CoffeeRound
from bot.domain import Member, Outbound, PeerGroup
from bot.engine import Engine, Turn
from bot.ports import TimerRow
from flows.conversation.messages import channel_name, render
from flows.peer.groups import group_named
from flows.people import roles

COFFEE_TIMER = "peer_coffee"  # subject: the group's id
EVERY = timedelta(weeks=4)
RECENT_ROUNDS = 3  # no repeat of a pairing from the last three rounds, where possible
NEW_PAIR = 100  # worth more than any number of repeats could add up to in one pairing
EXHAUSTIVE_UP_TO = 11  # people: up to here an odd round tries every trio (165 at most)


def register(engine: Engine) -> None:
    engine.on_command(CoffeeRound, coffee_round)
    engine.on_timer(COFFEE_TIMER, on_coffee)


@dataclass(frozen=True, slots=True)
class Pods:
    """A round's pods (pairs, and one trio when the number is odd) and the repeated pairs in
    them (pairs who met in one of the recent rounds)."""

    pods: tuple[tuple[int, ...], ...]
    repeats: frozenset[frozenset[int]]


def pair(members: Sequence[int], recent: Sequence[Sequence[set[int]]]) -> Pods:
    """Pods for ``members`` given the ``recent`` rounds' pods (newest first)."""
    people = list(dict.fromkeys(members))
    if len(people) < 2:
        return Pods((), frozenset())
    met: dict[frozenset[int], int] = {}  # pair -> rounds ago (1: the last round)
    for age, pods in enumerate(recent, start=1):
        for pod in pods:
            for a, b in combinations(sorted(pod), 2):
                met.setdefault(frozenset((a, b)), age)

    def matched(group: list[int]) -> list[tuple[int, ...]]:
        import networkx as nx  # imported when a coffee round is drawn, not by every server at start

        graph = nx.Graph()
        for a, b in combinations(group, 2):
            # A new pair is worth the most; among repeats, the longer ago the better.
            graph.add_edge(a, b, weight=met.get(frozenset((a, b)), NEW_PAIR))
        found = nx.max_weight_matching(graph, maxcardinality=True)
        return sorted(tuple(sorted(edge, key=group.index)) for edge in found)

    def repeats_in(pods: list[tuple[int, ...]]) -> frozenset[frozenset[int]]:
        return frozenset(frozenset(p) for pod in pods for p in combinations(pod, 2) if frozenset(p) in met)

    if len(people) % 2 == 0:
        pods = matched(people)
        return Pods(tuple(pods), repeats_in(pods))
    # Odd: one trio. First each person as the third of the pair that suits them best (quick,
    # and usually without repeats); if that leaves repeats in a small group, every trio with
    # the best matching of the rest, which finds the fewest for certain.
    best: list[tuple[int, ...]] | None = None
    for extra in people:
        pods = matched([p for p in people if p != extra])
        if not pods:
            pods = [(extra,)]
        else:
            where = min(range(len(pods)), key=lambda i: len(repeats_in([(*pods[i], extra)])))
            pods[where] = (*pods[where], extra)
        if best is None or len(repeats_in(pods)) < len(repeats_in(best)):
            best = pods
        if not repeats_in(best):
            break
    if best is not None and repeats_in(best) and len(people) <= EXHAUSTIVE_UP_TO:
        for trio in combinations(people, 3):
            rest = [p for p in people if p not in trio]
            pods = sorted([*matched(rest), trio]) if rest else [trio]
            if len(repeats_in(pods)) < len(repeats_in(best)):
                best = pods
    assert best is not None
    return Pods(tuple(best), repeats_in(best))


@dataclass(frozen=True, slots=True)
class CoffeeResult:
    group: PeerGroup
    pods: tuple[tuple[str, ...], ...]
    repeats: int
    monthly: bool


async def coffee_round(turn: Turn, command: CoffeeRound) -> CoffeeResult:
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    group = await group_named(turn, command.group)
    if command.monthly is not None and command.monthly != group.coffee:
        await turn.uow.groups.set_coffee(group.id, command.monthly)
        await turn.audit("coffee_monthly", f"group:{group.id}", None, on=command.monthly)
    monthly = group.coffee if command.monthly is None else command.monthly
    if monthly:
        await turn.uow.timers.add_timer(COFFEE_TIMER, str(group.id), turn.now + EVERY, {}, turn.now)
    pods, repeats = await hold_round(turn, group)
    return CoffeeResult(group, pods, repeats, monthly)


async def on_coffee(turn: Turn, timer: TimerRow) -> None:
    group = await turn.uow.groups.peer_group(int(timer.subject))
    if group is None or not group.coffee:
        return
    last = await turn.uow.groups.last_pairing_round(group.id)
    if last is not None and turn.now - last < EVERY - timedelta(days=1):
        return  # a round was held by hand since this was planned; that one planned the next
    await hold_round(turn, group)
    await turn.uow.timers.add_timer(COFFEE_TIMER, str(group.id), turn.now + EVERY, {}, turn.now)


async def hold_round(turn: Turn, group: PeerGroup) -> tuple[tuple[tuple[str, ...], ...], int]:
    member_ids = await turn.uow.groups.group_member_ids(group.id)
    found = pair(member_ids, await turn.uow.groups.recent_pods(group.id, RECENT_ROUNDS))
    if not found.pods:
        return (), 0
    await turn.uow.groups.add_pairing_round(group.id, found.pods, turn.now)
    people = await turn.uow.members.by_ids(member_ids)
    for pod in found.pods:
        for me in pod:
            others = [people[o] for o in pod if o != me]
            met: list[Member] = [o for o in others if frozenset((me, o.id)) in found.repeats]
            turn.say(
                Outbound(
                    text=render(
                        "peer_coffee",
                        group=group,
                        others=[(o, channel_name(o.preferred_channel)) for o in others],
                        met=met,
                        size=len(member_ids),
                    ),
                    member_id=me,
                    kind="peer_coffee",
                )
            )
    await turn.audit(
        "coffee_round", f"group:{group.id}", None, pods=len(found.pods), repeats=len(found.repeats)
    )
    names = tuple(tuple(people[m].name for m in pod) for pod in found.pods)
    return names, len(found.repeats)


def coffee_text(result: CoffeeResult) -> str:
    if not result.pods:
        return f"{result.group.name} needs at least two members for a coffee round."
    lines = [f"Coffee round for {result.group.name}: {len(result.pods)} pods."]
    lines += [f"  {' + '.join(pod)}" for pod in result.pods]
    if result.repeats:
        lines.append(f"{result.repeats} pairing(s) repeat a recent round: unavoidable with these numbers.")
    lines.append("Next round in four weeks." if result.monthly else "One round only (--monthly for more).")
    return "\n".join(lines)
