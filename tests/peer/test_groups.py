"""Peer groups: invitations with a calendar file, RSVPs and the waitlist, reminders to those
going only, attendance, cancelling, the lead's view; all on the injected clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from icalendar import Calendar

from bot.commands import (
    AddGroupMembers,
    CalendarFile,
    CancelGroupSession,
    CreateGroup,
    ScheduleGroupSessions,
    ShowGroup,
)
from bot.domain import Member
from bot.errors import Refused
from tests.harness import Harness, at


async def run(pool: Harness, command: object):
    return await pool.pool.engine.execute(command, actor="test")


async def a_group(pool: Harness, people: int = 3, kind: str = "action_learning"):
    lead = await pool.member("Lee Lead", roles=("lead",))
    members = [await pool.gp(f"Dr {name}") for name in ("Ana", "Ben", "Cai", "Dee", "Eve")[:people]]
    group = await run(pool, CreateGroup("New GPs", kind, tuple(m.phone for m in members), by=lead.id))
    return lead, members, group


async def schedule(pool: Harness, lead: Member, days: int = 10, **fields):
    start = at(pool.today + timedelta(days=days), 12, 30)
    fields.setdefault("place", "Riverside Surgery")
    return await run(
        pool, ScheduleGroupSessions("New GPs", start, start + timedelta(minutes=90), by=lead.id, **fields)
    )


def code_of(message) -> str:
    return message.choices[0].value.split()[1]


async def test_members_only_are_invited_with_buttons_and_a_calendar_file(pool: Harness) -> None:
    lead, members, group = await a_group(pool)
    outsider = await pool.gp("Dr Out")
    [session] = await schedule(pool, lead, link="https://meet.example.org/abc")
    assert group.closed, "an action learning set is closed by default"
    for member in members:
        invite = await pool.last(member)
        assert invite.kind == "peer_invite"
        assert invite.body.startswith("New GPs on Fri 11 Dec, 12:30-14:00, Riverside Surgery, https://meet")
        assert [c.label for c in invite.choices] == ["Going", "Not going"]
        assert f"/calendar/{session.calendar_token}.ics" in invite.body
    assert await pool.messages(outsider) == []

    calendar = Calendar.from_ical(await run(pool, CalendarFile(session.calendar_token)))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == session.starts_at
    assert event.decoded("dtend") == session.ends_at
    assert str(event["summary"]) == "New GPs (action learning set)"
    assert str(event["location"]) == "Riverside Surgery"
    assert str(event["uid"]) == f"peer-session-{session.id}@localhost", "a host name, no port"
    assert await run(pool, CalendarFile("not-a-token")) is None


async def test_going_not_going_and_changing_your_mind(pool: Harness) -> None:
    lead, (ana, ben, _), _ = await a_group(pool)
    [session] = await schedule(pool, lead)
    code = code_of(await pool.last(ana))
    await pool.send(ana, "yes")
    going = await pool.last(ana)
    assert going.body.startswith("You're going to New GPs on Fri 11 Dec at 12:30")
    assert [c.value for c in going.choices] == [f"NO {code}"], "one tap to change your mind"
    await pool.send(ana, "yes")  # the invitation is answered: nothing left to say yes to
    assert (await pool.last(ana)).kind == "no_open_offer"
    await pool.send(ana, f"yes {code}")
    assert "already down as going" in (await pool.last(ana)).body
    await pool.send(ana, f"no {code}")
    assert "not going" in (await pool.last(ana)).body
    await pool.send(ben, "no")
    view = await run(pool, ShowGroup("New GPs", by=lead.id))
    [row] = view.sessions
    assert (row.going, row.not_going, row.no_answer) == ((), ("Dr Ana", "Dr Ben"), 1)
    assert row.session.id == session.id


async def test_a_full_session_keeps_a_waitlist_and_promotes_from_it(pool: Harness) -> None:
    lead, (ana, ben, cai, dee, _), _ = await a_group(pool, people=5, kind="networking")
    await schedule(pool, lead, capacity=2)
    assert "2 places left" in (await pool.last(ana)).body
    for member in (ana, ben, cai, dee):
        await pool.send(member, "yes")
    assert "number 1 on the waitlist" in (await pool.last(cai)).body
    assert "number 2 on the waitlist" in (await pool.last(dee)).body
    await pool.send(cai, f"yes {code_of((await pool.messages(cai))[0])}")
    assert "still" not in (await pool.last(cai)).body and "number 1" in (await pool.last(cai)).body

    await pool.send(ben, f"no {code_of((await pool.messages(ben))[0])}")
    promoted = await pool.last(cai)
    assert promoted.kind == "peer_promoted" and promoted.body.startswith("A place came up")
    assert (await pool.last(dee)).kind == "peer_rsvp", "the next in line still waits"
    view = await run(pool, ShowGroup("New GPs", by=lead.id))
    assert (view.sessions[0].going, view.sessions[0].waitlist) == (("Dr Ana", "Dr Cai"), ("Dr Dee",))


async def test_reminders_go_to_those_going_only_and_afterwards_attendance_is_asked(pool: Harness) -> None:
    lead, (ana, ben, cai), _ = await a_group(pool)
    [session] = await schedule(pool, lead, days=3)
    await pool.send(ana, "yes")
    await pool.send(ben, "no")  # Cai never answers
    pool.clock.set(session.starts_at - timedelta(hours=24))
    await pool.pool.settle()
    assert (await pool.last(ana)).body.startswith("Reminder: New GPs tomorrow, 12:30-14:00")
    assert (await pool.last(ben)).kind == "peer_rsvp" and (await pool.last(cai)).kind == "peer_invite"
    pool.clock.set(session.starts_at - timedelta(hours=1))
    await pool.pool.settle()
    assert (await pool.last(ana)).body == "New GPs starts at 12:30: Riverside Surgery."
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    asked = await pool.last(ana)
    assert asked.body == "Did you make it to New GPs today?" and asked.kind == "peer_attended"
    assert (await pool.last(ben)).kind == "peer_rsvp" and (await pool.last(cai)).kind == "peer_invite"
    await pool.send(cai, "yes")  # too late: the invitation closed when it ended
    assert (await pool.last(cai)).kind != "peer_rsvp"
    await pool.send(ana, "yes")
    assert "made it" in (await pool.last(ana)).body
    view = await run(pool, ShowGroup("New GPs", by=lead.id))
    assert view.sessions[0].attended == ("Dr Ana",)


async def test_after_the_start_an_answer_changes_nothing(pool: Harness) -> None:
    lead, (ana, *_), _ = await a_group(pool)
    [session] = await schedule(pool, lead, days=2)
    code = code_of(await pool.last(ana))
    await pool.send(ana, "yes")
    pool.clock.set(session.starts_at + timedelta(minutes=5))
    await pool.pool.settle()
    await pool.send(ana, f"no {code}")
    assert "already started" in (await pool.last(ana)).body
    view = await run(pool, ShowGroup("New GPs", by=lead.id))
    assert view.sessions[0].going == ("Dr Ana",)


async def test_recurring_sessions_are_invited_a_fortnight_ahead_at_the_same_wall_clock_time(
    pool: Harness,
) -> None:
    lead, (ana, *_), _ = await a_group(pool)
    sessions = await schedule(pool, lead, days=7, every_weeks=4, times=3)
    assert [s.starts_at - sessions[0].starts_at for s in sessions] == [timedelta(weeks=n) for n in (0, 4, 8)]
    assert [m.kind for m in await pool.messages(ana)] == ["peer_invite"], "only the first is near"
    pool.clock.set(sessions[1].starts_at - timedelta(days=14))
    await pool.pool.settle()
    invites = [m for m in await pool.messages(ana) if m.kind == "peer_invite"]
    assert len(invites) == 2 and "Tue 5 Jan" in invites[-1].body


async def test_a_member_added_later_is_invited_to_what_is_already_announced(pool: Harness) -> None:
    lead, _, _ = await a_group(pool)
    await schedule(pool, lead, days=5)
    await schedule(pool, lead, days=40)
    late = await pool.gp("Dr Late")
    assert await run(pool, AddGroupMembers("New GPs", (late.phone,), by=lead.id)) == 1
    assert [m.kind for m in await pool.messages(late)] == ["peer_invite"]
    assert await run(pool, AddGroupMembers("New GPs", (late.phone,), by=lead.id)) == 0


async def test_cancelling_tells_those_going_and_waiting(pool: Harness) -> None:
    lead, (ana, ben, cai), _ = await a_group(pool)
    [session] = await schedule(pool, lead, capacity=1)
    await pool.send(ana, "yes")
    await pool.send(ben, "yes")
    await pool.send(cai, "no")
    await run(pool, CancelGroupSession(session.id, by=lead.id))
    for member in (ana, ben):
        assert (await pool.last(member)).body.startswith("New GPs on Fri 11 Dec at 12:30 is cancelled")
    assert (await pool.last(cai)).kind == "peer_rsvp"
    pool.clock.set(session.starts_at - timedelta(hours=24))
    await pool.pool.settle()
    assert (await pool.last(ana)).kind == "peer_cancelled", "no reminder for a cancelled session"


async def test_a_bare_yes_with_an_offer_and_an_invitation_open_asks_which(pool: Harness) -> None:
    lead, (ana, *_), _ = await a_group(pool)
    await pool.practice()
    await schedule(pool, lead)
    session = await pool.post(urgent=True)
    await pool.send(ana, "yes")
    which = await pool.last(ana)
    assert which.body.startswith("Which do you mean?") and "New GPs on Fri 11 Dec" in which.body
    assert (await pool.view(session)).booked is None, "nothing changed"


async def test_bad_requests_are_refused_and_change_nothing(pool: Harness) -> None:
    lead, (ana, *_), _ = await a_group(pool)
    start = at(pool.today + timedelta(days=3), 12, 0)
    wrong = [
        ScheduleGroupSessions("New GPs", start, start - timedelta(hours=1), "Room 1", by=lead.id),
        ScheduleGroupSessions("New GPs", start, start + timedelta(hours=1), by=lead.id),
        ScheduleGroupSessions("New GPs", start, start + timedelta(hours=1), link="http://x", by=lead.id),
        ScheduleGroupSessions("Nope", start, start + timedelta(hours=1), "Room 1", by=lead.id),
        ScheduleGroupSessions("New GPs", start, start + timedelta(hours=1), "Room 1", capacity=0, by=lead.id),
        ScheduleGroupSessions("New GPs", start, start + timedelta(hours=1), "Room 1", by=ana.id),
        CreateGroup("New GPs", "networking", by=lead.id),
        CreateGroup("Chat", "book club", by=lead.id),
    ]
    for command in wrong:
        with pytest.raises(Refused):
            await run(pool, command)
    assert [m.kind for m in await pool.messages(ana)] == []


async def test_a_member_not_seen_for_weeks_is_nudged_at_most_monthly_and_can_mute_it(pool: Harness) -> None:
    lead, (ana, ben, cai), _ = await a_group(pool)
    sessions = await schedule(pool, lead, days=7, every_weeks=4, times=4)
    await pool.send(ana, "yes")
    await pool.send(cai, "NUDGES OFF")
    assert "no more notes" in (await pool.last(cai)).body
    pool.clock.set(sessions[0].ends_at)
    await pool.pool.settle()
    await pool.send(ana, "yes")  # Ana made it; Ben and Cai never come
    # Eight weeks (the default) after Ben and Cai joined; seven after Ana was last there.
    while pool.clock.now() < at(date(2027, 1, 26), 11, 0):
        await pool.advance(hours=12)
    nudges = {m.name: [x for x in await pool.messages(m) if x.kind == "peer_nudge"] for m in (ana, ben, cai)}
    assert nudges["Dr Ana"] == [] and nudges["Dr Cai"] == [], "Ana came recently; Cai muted them"
    [nudge] = nudges["Dr Ben"]
    assert nudge.body.startswith("We haven't seen you at a peer session for a while")
    assert "NUDGES OFF" in nudge.body and "New GPs, Tue 2 Feb, 12:30-14:00 (YES " in nudge.body
    await pool.advance(days=20)
    assert len([x for x in await pool.messages(ben) if x.kind == "peer_nudge"]) == 1, "not twice a month"
    await pool.advance(days=11)
    assert len([x for x in await pool.messages(ben) if x.kind == "peer_nudge"]) == 2
    await pool.send(cai, "NUDGES ON")
    await pool.advance(days=1)
    assert [x.kind for x in await pool.messages(cai)][-1] == "peer_nudge"


async def test_groups_lists_open_groups_and_going_makes_you_a_member(pool: Harness) -> None:
    lead, _, _ = await a_group(pool)  # closed: action learning
    start = at(pool.today + timedelta(days=20), 18, 0)
    await run(pool, CreateGroup("Coffee & cases", "networking", by=lead.id))
    await run(
        pool,
        ScheduleGroupSessions("Coffee & cases", start, start + timedelta(hours=1), "The Crown", by=lead.id),
    )
    await schedule(pool, lead)
    newcomer = await pool.gp("Dr New")
    await pool.send(newcomer, "groups")
    listing = await pool.last(newcomer)
    assert listing.body.startswith("Coming up:\nCoffee & cases, Mon 21 Dec, 18:00-19:00 (YES ")
    assert "New GPs" not in listing.body, "a closed group is for its members"
    code = listing.body.split("(YES ")[1].split()[0]
    await pool.send(newcomer, f"YES {code}")
    assert (await pool.last(newcomer)).body.startswith("You're going to Coffee & cases")
    view = await run(pool, ShowGroup("Coffee & cases", by=lead.id))
    assert view.members == ("Dr New",) and view.sessions[0].going == ("Dr New",)
