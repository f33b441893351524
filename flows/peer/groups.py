"""Peer groups and their sessions: a lead creates a group (networking, an action learning set,
a peer support group, a coaching circle) and schedules sessions, one-off or every few weeks.

Members are invited a fortnight ahead (Going / Not going, a calendar file); a session with a
capacity keeps a waitlist and promotes from it when someone drops out; those going hear 24 hours
and 1 hour before; afterwards "Did you make it?" records attendance. The lead's view is read
live from the store, so it shows RSVPs and attendance as they change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from bot.calendar import weeks_later
from bot.commands import (
    AddGroupMembers,
    CalendarFile,
    CancelGroupSession,
    CreateGroup,
    ListGroups,
    ScheduleGroupSessions,
    ShowGroup,
)
from bot.domain import GROUP_KINDS, Choice, GroupSession, Member, Outbound, PeerGroup, Question
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.ports import GroupSummary, TimerRow
from flows.conversation import codes, lists
from flows.conversation.messages import render, when
from flows.desk import actions
from flows.people import roles

INVITE_AHEAD = timedelta(days=14)
VIEW_BACK = timedelta(weeks=26)  # the lead's view: the last six months' sessions and all to come
LIST_AHEAD = timedelta(weeks=8)  # GROUPS: what is coming up
REMINDERS = {"day": timedelta(hours=24), "hour": timedelta(hours=1)}
CLOSED_KINDS = frozenset({"action_learning", "coaching"})
KIND_NAMES = {
    "networking": "networking session",
    "action_learning": "action learning set",
    "peer_support": "peer support group",
    "coaching": "coaching circle",
}
PLACE_LIMIT, LINK_LIMIT, NAME_LIMIT = 48, 72, 32  # keep every invitation inside two texts
INVITE_TIMER, REMIND_TIMER, AFTER_TIMER = "peer_invite", "peer_remind", "peer_after"


def register(engine: Engine) -> None:
    engine.on_command(CreateGroup, create_group)
    engine.on_command(AddGroupMembers, add_members)
    engine.on_command(ScheduleGroupSessions, schedule)
    engine.on_command(CancelGroupSession, cancel)
    engine.on_command(ShowGroup, show_group)
    engine.on_command(ListGroups, list_groups)
    engine.on_command(CalendarFile, calendar_file)
    engine.on_timer(INVITE_TIMER, on_invite)
    engine.on_timer(REMIND_TIMER, on_remind)
    engine.on_timer(AFTER_TIMER, on_after)
    lists.register("groups", sessions_listing)


async def group_named(turn: Turn, key: str) -> PeerGroup:
    group = await turn.uow.groups.peer_group(key.strip())
    if group is None:
        raise Refused(f"No peer group called {key.strip()!r}.", field="group")
    return group


# --- Groups -------------------------------------------------------------------------------


async def create_group(turn: Turn, command: CreateGroup) -> PeerGroup:
    turn.by = command.by
    actor = await roles.actor(turn, command.by)
    roles.require_lead(actor)
    name = " ".join(command.name.split())
    if not name or len(name) > NAME_LIMIT:
        raise Refused(f"A group needs a name of up to {NAME_LIMIT} characters.", field="name")
    if command.kind not in GROUP_KINDS:
        raise Refused(f"The kind is one of: {', '.join(GROUP_KINDS)}.", field="kind")
    if await turn.uow.groups.peer_group(name) is not None:
        raise Refused(f"There is already a group called {name!r}.", field="name")
    lead = await actions.member_by_phone(turn, command.lead) if command.lead else actor
    closed = command.kind in CLOSED_KINDS if command.closed is None else command.closed
    group = await turn.uow.groups.add_peer_group(
        name, command.kind, closed, lead.id if lead else None, turn.now
    )
    members = [await actions.member_by_phone(turn, phone) for phone in command.members]
    await turn.uow.groups.add_group_members(group.id, [m.id for m in members], turn.now)
    await turn.audit("group_created", f"group:{group.id}", None, members=len(members))
    return group


async def add_members(turn: Turn, command: AddGroupMembers) -> int:
    """New members are invited at once to the sessions already announced."""
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    group = await group_named(turn, command.group)
    members = [await actions.member_by_phone(turn, phone) for phone in command.members]
    added = await turn.uow.groups.add_group_members(group.id, [m.id for m in members], turn.now)
    for session in await turn.uow.groups.group_sessions(
        group.id, after=turn.now, before=turn.now + INVITE_AHEAD
    ):
        await invite(turn, group, session, added)
    await turn.audit("group_joined", f"group:{group.id}", None, members=len(added))
    return len(added)


async def join_open_group(turn: Turn, group: PeerGroup, member: Member) -> None:
    """Saying Going to an open group's session makes you one of its members."""
    if not group.closed and await turn.uow.groups.add_group_members(group.id, [member.id], turn.now):
        await turn.audit("group_joined", f"group:{group.id}", None, members=1)


# --- Sessions -----------------------------------------------------------------------------


async def schedule(turn: Turn, command: ScheduleGroupSessions) -> list[GroupSession]:
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    group = await group_named(turn, command.group)
    place, link = " ".join(command.place.split()), command.link.strip()
    problems = [
        (not place and not link, "Give a place or a video link.", "place"),
        (len(place) > PLACE_LIMIT, f"Keep the place to {PLACE_LIMIT} characters.", "place"),
        (len(link) > LINK_LIMIT, f"Keep the link to {LINK_LIMIT} characters.", "link"),
        (link and not link.startswith("https://"), "A video link starts with https://.", "link"),
        (command.ends_at <= command.starts_at, "The session must end after it starts.", "end"),
        (command.starts_at <= turn.now, "That time has passed.", "start"),
        (command.capacity is not None and command.capacity < 1, "Capacity is 1 or more.", "capacity"),
        (not 1 <= command.times <= 26, "Between 1 and 26 sessions at once.", "times"),
        (command.times > 1 and not 1 <= command.every_weeks <= 12, "Repeat every 1 to 12 weeks.", "every"),
    ]
    for wrong, message, field in problems:
        if wrong:
            raise Refused(message, field=field)
    made: list[GroupSession] = []
    for n in range(command.times):
        starts = weeks_later(command.starts_at, command.every_weeks * n)
        ends = weeks_later(command.ends_at, command.every_weeks * n)
        session = await turn.uow.groups.add_group_session(
            group.id, starts, ends, place, link, command.capacity, secrets.token_urlsafe(12),
            made[0].id if made else None, turn.now,
        )  # fmt: skip
        made.append(session)
        await _plan(turn, group, session)
    await turn.audit("group_sessions_scheduled", f"group:{group.id}", None, sessions=len(made))
    return made


async def _plan(turn: Turn, group: PeerGroup, session: GroupSession) -> None:
    invite_at = session.starts_at - INVITE_AHEAD
    if invite_at <= turn.now:
        await invite(turn, group, session, await turn.uow.groups.group_member_ids(group.id))
    else:
        await turn.uow.timers.add_timer(INVITE_TIMER, str(session.id), invite_at, {}, turn.now)
    for ahead, before in REMINDERS.items():
        if session.starts_at - before > turn.now:
            due = session.starts_at - before
            await turn.uow.timers.add_timer(REMIND_TIMER, str(session.id), due, {"ahead": ahead}, turn.now)
    await turn.uow.timers.add_timer(AFTER_TIMER, str(session.id), session.ends_at, {}, turn.now)


async def invite(turn: Turn, group: PeerGroup, session: GroupSession, member_ids: list[int]) -> None:
    people = await turn.uow.members.by_ids(member_ids)
    going = await turn.uow.groups.going_count(session.id)
    for member_id in member_ids:
        member = people.get(member_id)
        if member is None or await turn.uow.prompts.prompt_about("rsvp", member_id, session.id) is not None:
            continue  # invited already (or given a code when they asked with GROUPS)
        code = await codes.fresh_code(turn, member_id)
        await turn.uow.prompts.add_prompt("rsvp", member_id, session.id, code, turn.now)
        turn.say(
            Outbound(
                text=render(
                    "peer_invite",
                    group=group,
                    kind=KIND_NAMES[group.kind],
                    session=session,
                    places=None if session.capacity is None else max(session.capacity - going, 0),
                    calendar=calendar_url(turn, session),
                ),
                member_id=member_id,
                choices=(Choice("Going", f"YES {code}"), Choice("Not going", f"NO {code}")),
                topic=f"rsvp:{session.id}",
                kind="peer_invite",
            )
        )


def calendar_url(turn: Turn, session: GroupSession) -> str:
    return f"{turn.policy.public_url}{session.calendar_path}"


async def on_invite(turn: Turn, timer: TimerRow) -> None:
    session = await turn.uow.groups.group_session(int(timer.subject))
    if session is None or session.state != "scheduled":
        return
    group = await turn.uow.groups.peer_group(session.group_id)
    assert group is not None
    await invite(turn, group, session, await turn.uow.groups.group_member_ids(group.id))


async def on_remind(turn: Turn, timer: TimerRow) -> None:
    """To those going, and only them."""
    session = await turn.uow.groups.group_session(int(timer.subject))
    if session is None or session.state != "scheduled":
        return
    group = await turn.uow.groups.peer_group(session.group_id)
    ahead = timer.payload["ahead"]
    for rsvp in await turn.uow.groups.rsvps(session.id):
        if rsvp["answer"] == "going":
            turn.say(
                Outbound(
                    text=render(f"peer_reminder_{ahead}", group=group, session=session),
                    member_id=rsvp["member_id"],
                    topic=f"rsvp:{session.id}",
                    kind="peer_soon" if ahead == "hour" else "peer_reminder",
                )
            )


async def on_after(turn: Turn, timer: TimerRow) -> None:
    """The session is over: unanswered invitations close; those going are asked if they made it."""
    session = await turn.uow.groups.group_session(int(timer.subject))
    if session is None or session.state != "scheduled":
        return
    group = await turn.uow.groups.peer_group(session.group_id)
    await turn.uow.prompts.close_prompts_about("rsvp", session.id, turn.now)
    for rsvp in await turn.uow.groups.rsvps(session.id):
        if rsvp["answer"] != "going":
            continue
        code = await codes.fresh_code(turn, rsvp["member_id"])
        await turn.uow.prompts.add_prompt("attended", rsvp["member_id"], session.id, code, turn.now)
        turn.say(
            Outbound(
                text=render("peer_did_you_make_it", group=group, session=session),
                member_id=rsvp["member_id"],
                choices=(Choice("Yes", f"YES {code}"), Choice("No", f"NO {code}")),
                kind="peer_attended",
            )
        )


async def cancel(turn: Turn, command: CancelGroupSession) -> GroupSession:
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    session = await turn.uow.groups.group_session(command.session_id)
    if session is None or session.state != "scheduled" or session.starts_at <= turn.now:
        raise Refused("No session to cancel with that number (or it has started).", field="session")
    await turn.uow.groups.cancel_group_session(session.id)
    await turn.uow.prompts.close_prompts_about("rsvp", session.id, turn.now)
    group = await turn.uow.groups.peer_group(session.group_id)
    for rsvp in await turn.uow.groups.rsvps(session.id):
        if rsvp["answer"] in ("going", "waitlist"):
            turn.say(
                Outbound(
                    text=render("peer_cancelled", group=group, session=session),
                    member_id=rsvp["member_id"],
                    topic=f"rsvp:{session.id}",
                    supersedes=True,
                    kind="peer_cancelled",
                )
            )
    await turn.audit("group_session_cancelled", f"group_session:{session.id}")
    return session


async def list_sessions(turn: Turn) -> None:
    """GROUPS: the next sessions of your groups and of every open group, each with a code to
    answer (saying Going to an open group's session makes you a member), a page at a time."""
    await lists.show(turn, await sessions_listing(turn), kind="peer_sessions")


async def sessions_listing(turn: Turn) -> lists.Listing:
    member = turn.member
    assert member is not None
    mine = {g.id for g in await turn.uow.groups.groups_of(member.id)}
    groups = {g.id: g for g in await turn.uow.groups.peer_groups() if g.id in mine or not g.closed}
    listed = []
    for session in await turn.uow.groups.group_sessions(None, after=turn.now, before=turn.now + LIST_AHEAD):
        group = groups.get(session.group_id)
        if group is not None:
            listed.append((group, session, await turn.uow.groups.rsvp(session.id, member.id)))

    def line(n: int, code: str) -> str:
        group, session, answer = listed[n]
        return render("peer_session_line", group=group, session=session, answer=answer, code=code)

    # Laid out with a stand-in code of the same length; only the sessions shown get theirs,
    # so a long list does not use up codes nobody reads.
    listing = lists.Listing(
        "groups",
        header="Coming up:",
        lines=[line(n, "0000") for n in range(len(listed))],
        empty=render("peer_sessions_list"),
    )

    async def with_codes(positions: range) -> None:
        for n in positions:
            session = listed[n][1]
            prompt = await turn.uow.prompts.prompt_about("rsvp", member.id, session.id)
            if prompt is None:
                code = await codes.fresh_code(turn, member.id)
                await turn.uow.prompts.add_prompt("rsvp", member.id, session.id, code, turn.now)
            else:
                code = prompt.code
            listing.lines[n] = line(n, code)

    listing.before_showing = with_codes
    return listing


# --- Answers ------------------------------------------------------------------------------


async def answer_rsvp(turn: Turn, question: Question, value: str) -> None:
    """Going (YES) or Not going (NO) to an invitation."""
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    assert prompt is not None
    await turn.uow.prompts.close_prompt(prompt.id, "answered", turn.now)
    await change_rsvp(turn, prompt.ref_id, prompt.code, value)


async def answer_again(turn: Turn, code: str, value: str) -> bool:
    """A change of mind, with the code of an invitation already answered. False when the code
    is not an invitation's."""
    assert turn.member is not None
    prompt = await turn.uow.prompts.prompt_by_code(turn.member.id, code)
    if prompt is None or prompt.kind != "rsvp":
        return False
    await change_rsvp(turn, prompt.ref_id, prompt.code, value)
    return True


async def change_rsvp(turn: Turn, session_id: int, code: str, value: str) -> None:
    member = turn.member
    assert member is not None
    session = await turn.uow.groups.group_session(session_id)
    assert session is not None
    group = await turn.uow.groups.peer_group(session.group_id)
    assert group is not None
    reply = _RsvpReply(turn, group, session, code)
    if session.state != "scheduled":
        return reply.say("peer_session_cancelled")
    if session.starts_at <= turn.now:
        return reply.say("peer_session_started")
    before = await turn.uow.groups.rsvp(session.id, member.id)
    if value == "yes":
        if before == "going":
            return reply.say("peer_already_going", cancel=True)
        if before == "waitlist":
            return reply.say("peer_waitlisted", place=await _waitlist_place(turn, session, member.id))
        full = (
            session.capacity is not None and await turn.uow.groups.going_count(session.id) >= session.capacity
        )
        await turn.uow.groups.set_rsvp(session.id, member.id, "waitlist" if full else "going", turn.now)
        await join_open_group(turn, group, member)
        await turn.audit("rsvp", f"group_session:{session.id}", answer="waitlist" if full else "going")
        if full:
            return reply.say("peer_waitlisted", place=await _waitlist_place(turn, session, member.id))
        return reply.say("peer_going", cancel=True)
    if before == "not_going":
        return reply.say("peer_not_going")
    await turn.uow.groups.set_rsvp(session.id, member.id, "not_going", turn.now)
    await turn.audit("rsvp", f"group_session:{session.id}", answer="not_going")
    reply.say("peer_not_going")
    if before == "going":
        await _promote(turn, group, session)


async def _waitlist_place(turn: Turn, session: GroupSession, member_id: int) -> int:
    waiting = [r["member_id"] for r in await turn.uow.groups.rsvps(session.id) if r["answer"] == "waitlist"]
    return waiting.index(member_id) + 1


async def _promote(turn: Turn, group: PeerGroup, session: GroupSession) -> None:
    """A place came up: the first on the waitlist has it, and is told so."""
    if session.capacity is None or await turn.uow.groups.going_count(session.id) >= session.capacity:
        return
    waiting = [r["member_id"] for r in await turn.uow.groups.rsvps(session.id) if r["answer"] == "waitlist"]
    if not waiting:
        return
    promoted = waiting[0]
    await turn.uow.groups.set_rsvp(session.id, promoted, "going", turn.now)
    await turn.audit("rsvp", f"group_session:{session.id}", answer="promoted")
    prompt = await turn.uow.prompts.prompt_about("rsvp", promoted, session.id)
    choices = (Choice("Not going", f"NO {prompt.code}"),) if prompt else ()
    turn.say(
        Outbound(
            text=render("peer_promoted", group=group, session=session),
            member_id=promoted,
            choices=choices,
            topic=f"rsvp:{session.id}",
            kind="peer_promoted",
        )
    )


@dataclass
class _RsvpReply:
    turn: Turn
    group: PeerGroup
    session: GroupSession
    code: str

    def say(self, template: str, cancel: bool = False, **values: object) -> None:
        """The answer replaces the invitation on chat apps (with Not going, to change your mind)."""
        choices = (Choice("Not going", f"NO {self.code}"),) if cancel else ()
        text = render(template, group=self.group, session=self.session, **values)
        self.turn.reply(
            text, kind="peer_rsvp", choices=choices, topic=f"rsvp:{self.session.id}", supersedes=True
        )


async def answer_attended(turn: Turn, question: Question, value: str) -> None:
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    assert prompt is not None and turn.member is not None
    await turn.uow.prompts.close_prompt(prompt.id, "answered", turn.now)
    await turn.uow.groups.set_attended(prompt.ref_id, turn.member.id, value == "yes")
    await turn.audit("attendance", f"group_session:{prompt.ref_id}", attended=value == "yes")
    turn.reply(render("peer_attended_noted", came=value == "yes"), kind="peer_attended")


async def describe(turn: Turn, question: Question) -> str:
    """What an RSVP or attendance question is about, for "which do you mean?"."""
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    session = await turn.uow.groups.group_session(prompt.ref_id) if prompt else None
    group = await turn.uow.groups.peer_group(session.group_id) if session else None
    if session is None or group is None:
        return "the question you were sent"
    return render("peer_about", group=group, session=session, kind=question.kind)


# --- The lead's view and the calendar file --------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionView:
    session: GroupSession
    going: tuple[str, ...]
    waitlist: tuple[str, ...]
    not_going: tuple[str, ...]
    no_answer: int
    attended: tuple[str, ...]
    missed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupView:
    group: PeerGroup
    lead: str | None
    members: tuple[str, ...]
    sessions: tuple[SessionView, ...]


async def show_group(turn: Turn, command: ShowGroup) -> GroupView:
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    group = await group_named(turn, command.group)
    member_ids = await turn.uow.groups.group_member_ids(group.id)
    people = await turn.uow.members.by_ids(member_ids + ([group.lead_id] if group.lead_id else []))
    sessions = []
    for session in await turn.uow.groups.group_sessions(group.id, after=turn.now - VIEW_BACK):
        answers = await turn.uow.groups.rsvps(session.id)
        names = await turn.uow.members.by_ids([r["member_id"] for r in answers])
        by_answer: dict[object, list[str]] = {}
        for r in answers:
            name = names[r["member_id"]].name
            by_answer.setdefault(r["answer"], []).append(name)
            by_answer.setdefault(r["attended"], []).append(name)  # True, False or None
        invited = await turn.uow.prompts.prompts_about("rsvp", session.id)
        sessions.append(
            SessionView(
                session,
                *(tuple(by_answer.get(key, ())) for key in ("going", "waitlist", "not_going")),
                len(set(invited) - {r["member_id"] for r in answers}),
                tuple(by_answer.get(True, ())),
                tuple(by_answer.get(False, ())),
            )
        )
    lead = people[group.lead_id].name if group.lead_id in people else None
    return GroupView(group, lead, tuple(people[m].name for m in member_ids if m in people), tuple(sessions))


async def list_groups(turn: Turn, command: ListGroups) -> list[GroupSummary]:
    """Every group, by name, with its lead, size and next session (a query: reads only)."""
    roles.require_lead(await roles.actor(turn, command.by))
    groups = await turn.uow.groups.peer_groups()
    sizes = await turn.uow.groups.group_sizes()
    leads = await turn.uow.members.by_ids([g.lead_id for g in groups if g.lead_id is not None])
    ahead: dict[int, list[GroupSession]] = {}
    for session in await turn.uow.groups.group_sessions(None, after=turn.now):
        ahead.setdefault(session.group_id, []).append(session)
    return [
        GroupSummary(
            group=g,
            lead=leads[g.lead_id].name if g.lead_id in leads else None,
            members=sizes.get(g.id, 0),
            next_session=ahead[g.id][0] if ahead.get(g.id) else None,
            sessions_ahead=len(ahead.get(g.id, ())),
        )
        for g in sorted(groups, key=lambda g: g.name.lower())
    ]


async def calendar_file(turn: Turn, command: CalendarFile) -> bytes | None:
    """The session as an iCalendar file (RFC 5545) for a phone's calendar; None when unknown."""
    session = await turn.uow.groups.group_session_by_token(command.token)
    if session is None:
        return None
    group = await turn.uow.groups.peer_group(session.group_id)
    assert group is not None
    calendar = Calendar()
    calendar.add("prodid", f"-//{turn.policy.pool_name}//peer groups//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"peer-session-{session.id}@{urlsplit(turn.policy.public_url).hostname}")
    event.add("dtstamp", turn.now)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", f"{group.name} ({KIND_NAMES[group.kind]})")
    if session.place:
        event.add("location", session.place)
    if session.link:
        event.add("url", session.link)
        event.add("description", f"Join: {session.link}")
    if session.state == "cancelled":
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()


def group_text(view: GroupView) -> str:
    """The lead's view as plain lines (CLI, chat)."""
    group = view.group
    lines = [
        f"{group.name} (group #{group.id}): {KIND_NAMES[group.kind]}, {'closed' if group.closed else 'open'}"
        + (f", lead {view.lead}" if view.lead else ""),
        f"Members ({len(view.members)}): {', '.join(view.members) or 'none yet'}",
    ]
    for s in view.sessions:
        capacity = f", {s.session.capacity} places" if s.session.capacity else ""
        lines.append(f"Session #{s.session.id}: {when(s.session)}, {s.session.where}{capacity}")
        lines.append(
            f"  going {len(s.going)}{': ' + ', '.join(s.going) if s.going else ''}"
            + (f" | waitlist {len(s.waitlist)}: {', '.join(s.waitlist)}" if s.waitlist else "")
            + f" | not going {len(s.not_going)} | no answer {s.no_answer}"
        )
        if s.attended or s.missed:
            lines.append(
                f"  made it {len(s.attended)}: {', '.join(s.attended) or '-'} | didn't {len(s.missed)}"
            )
    if not view.sessions:
        lines.append("No sessions scheduled.")
    return "\n".join(lines)
