"""Mentoring: a register of mentors, requests from mentees (MENTOR, or a coordinator for
fellows, newly qualified GPs and returners), matching runs a lead approves before anyone is
told, and introductions with each other's preferred contact.

Matching itself is flows/peer/matching.py (an assignment solver, not a greedy loop).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import AddMentor, ApproveMatches, MentorLeaves, PendingMatches, ProposeMatches
from bot.domain import Choice, Member, Outbound, Question
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.ports import MatchProposal, PendingMentoring, TimerRow
from flows.conversation import codes
from flows.conversation.messages import channel_name, render
from flows.desk import actions
from flows.peer.matching import Mentee, Mentor, Proposal, propose
from flows.people import roles

STAGE_OF_TYPE = {"fellow": "fellow", "returner": "returner", "salaried": "salaried", "locum": "locum",
                 "partner": "partner", "retainer": "salaried"}  # fmt: skip


CYCLE = timedelta(days=28)  # one hour every four weeks, by default
REMIND_AFTER = timedelta(days=14)
ASK_AFTER = timedelta(days=21)
# Interests (a mentee's MENTOR words, a mentor's --interests) are named back in introductions.
MAX_INTERESTS_CHARS = 60
MAX_INTERESTS = 6
CYCLE_TIMER = "mentoring_cycle"  # payload: step "remind" | "ask" | "check", cycle start


def register(engine: Engine) -> None:
    engine.on_command(AddMentor, add_mentor)
    engine.on_command(ProposeMatches, propose_matches)
    engine.on_command(ApproveMatches, approve_matches)
    engine.on_command(PendingMatches, pending_matches)
    engine.on_timer(CYCLE_TIMER, on_cycle_step)
    engine.on_command(MentorLeaves, mentor_leaves)


async def mentor_leaves(turn: Turn, command: MentorLeaves) -> int:
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    mentor = await actions.member_by_phone(turn, command.phone)
    mentees = await turn.uow.mentoring.mentor_leaves(mentor.id, turn.now)
    for mentee_id in mentees:
        await turn.uow.mentoring.requeue_mentee(mentee_id, turn.now)
    await turn.audit("mentor_left", f"member:{mentor.id}", None, mentees=len(mentees))
    return len(mentees)


async def _plan_cycle(turn: Turn, mentorship_id: int, start: datetime) -> None:
    for step, after in (("remind", REMIND_AFTER), ("ask", ASK_AFTER), ("check", CYCLE)):
        payload = {"step": step, "start": start.isoformat()}
        await turn.uow.timers.add_timer(CYCLE_TIMER, str(mentorship_id), start + after, payload, turn.now)


async def on_cycle_step(turn: Turn, timer: TimerRow) -> None:
    """Each four-week cycle: a reminder to meet, "Did you meet?", and on day 28 a flag to the
    lead if no meeting was logged; then the next cycle."""
    pair = await turn.uow.mentoring.mentorship(int(timer.subject))
    if pair is None or pair["state"] != "active":
        return
    start = datetime.fromisoformat(timer.payload["start"])
    people = await turn.uow.members.by_ids([pair["mentee_id"], pair["mentor_id"]])
    mentee, mentor = people[pair["mentee_id"]], people[pair["mentor_id"]]
    met = await turn.uow.mentoring.meetings_since(pair["id"], start)
    match timer.payload["step"]:
        case "remind" if not met:
            for me, other in ((mentee, mentor), (mentor, mentee)):
                turn.say(
                    Outbound(text=render("mentor_remind", other=other), member_id=me.id, kind="mentoring")
                )
        case "ask" if not met:
            code = await codes.fresh_code(turn, mentee.id)
            await turn.uow.prompts.add_prompt("met", mentee.id, pair["id"], code, turn.now)
            turn.say(
                Outbound(
                    text=render("mentor_did_you_meet", other=mentor),
                    member_id=mentee.id,
                    choices=(Choice("Yes, we met", f"YES {code}"), Choice("Not yet", f"NO {code}")),
                    kind="mentoring",
                )
            )
        case "check":
            await turn.uow.prompts.close_prompts_about("met", pair["id"], turn.now)  # the cycle is over
            if not met:
                text = render("mentor_no_meeting", mentee=mentee, mentor=mentor)
                for lead in await _leads(turn):
                    turn.say(Outbound(text=text, member_id=lead.id, kind="mentoring_flag"))
                await turn.audit("mentoring_no_meeting", f"mentorship:{pair['id']}")
            await _plan_cycle(turn, pair["id"], start + CYCLE)


async def _leads(turn: Turn) -> list[Member]:
    leads = await turn.uow.members.members_with_role("lead")
    return leads or await turn.uow.members.members_with_role("coordinator")


async def answer_met(turn: Turn, question: Question, value: str) -> None:
    """YES or NO to "Did you meet?"."""
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    assert prompt is not None and turn.member is not None
    await turn.uow.prompts.close_prompt(prompt.id, "answered", turn.now)
    if value == "yes":
        await turn.uow.mentoring.log_meeting(prompt.ref_id, turn.member.id, turn.now)
        turn.reply(render("mentor_met_noted"), kind="mentoring")
    else:
        turn.reply(render("mentor_not_met"), kind="mentoring")


async def describe(turn: Turn, question: Question) -> str:
    """What a "Did you meet?" question is about, for "which do you mean?"."""
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    pair = await turn.uow.mentoring.mentorship(prompt.ref_id) if prompt else None
    if pair is None or turn.member is None:
        return "the question you were sent"
    other = await turn.uow.members.member(
        pair["mentor_id"] if pair["mentee_id"] == turn.member.id else pair["mentee_id"]
    )
    return f"whether you met {other.name}" if other else "whether you met"


async def rematch(turn: Turn) -> None:
    """REMATCH: the pairing ends, privately and with no reason asked; the mentee waits for a
    new match, and the pair is never proposed again."""
    member = turn.member
    assert member is not None
    pairs = await turn.uow.mentoring.active_mentorships_of(member.id)
    if not pairs:
        turn.reply(render("mentor_no_pair"), kind="mentoring")
        return
    for pair in pairs:
        await turn.uow.mentoring.end_mentorship(pair["id"], turn.now)
        await turn.uow.mentoring.requeue_mentee(pair["mentee_id"], turn.now)
        other_id = pair["mentor_id"] if pair["mentee_id"] == member.id else pair["mentee_id"]
        turn.say(Outbound(text=render("mentor_pair_ended"), member_id=other_id, kind="mentoring"))
        for lead in await _leads(turn):
            turn.say(Outbound(text=render("mentor_lead_rematch"), member_id=lead.id, kind="mentoring_flag"))
        await turn.audit("mentorship_ended", f"mentorship:{pair['id']}", by="rematch")
    turn.reply(render("mentor_rematched"), kind="mentoring")


async def add_mentor(turn: Turn, command: AddMentor) -> Member:
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    if command.capacity < 0 or command.hours <= 0:
        raise Refused(
            "Capacity is a number of mentees (0 or more) and hours must be more than 0.", field="capacity"
        )
    problem = interests_problem(";".join(command.interests))
    if problem is not None:
        raise Refused(f"Interests: {problem}.", field="interests")
    member = await actions.member_by_phone(turn, command.phone)
    await turn.uow.mentoring.set_mentor(
        member.id,
        command.capacity,
        command.hours,
        command.interests,
        command.localities,
        command.trained,
        turn.now,
    )
    if "mentor" not in member.roles:
        member = await turn.uow.members.update_member(member.id, roles={*member.roles, "mentor"})
    await turn.audit("mentor_registered", f"member:{member.id}", None, capacity=command.capacity)
    return member


def interests_problem(text: str) -> str | None:
    """Why these interests cannot be kept, or None. They are named back in introductions
    ("both interested in teaching, prescribing"), which must fit a text."""
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    if len(text.strip()) > MAX_INTERESTS_CHARS:
        return f"at most {MAX_INTERESTS_CHARS} characters, please (that was {len(text.strip())})"
    if len(parts) > MAX_INTERESTS:
        return f"at most {MAX_INTERESTS} interests, please (that was {len(parts)})"
    return None


async def request_mentor(turn: Turn, wants: str) -> None:
    """MENTOR <what you'd like help with>: on the waiting list for the next matching run."""
    member = turn.member
    assert member is not None
    problem = interests_problem(wants)
    if problem is not None:
        turn.reply(render("mentor_wants_too_long", problem=problem), kind="mentor_requested")
        return
    if await turn.uow.mentoring.add_mentee_request(member.id, wants.strip(), turn.now):
        await turn.audit("mentor_requested", f"member:{member.id}")
        turn.reply(render("mentor_requested", wants=wants.strip()), kind="mentor_requested")
    else:
        turn.reply(render("mentor_already"), kind="mentor_requested")


async def propose_matches(turn: Turn, command: ProposeMatches) -> list[tuple[int, Proposal, str, str]]:
    """(number, proposal, mentee's name, mentor's name) for the lead to read and approve."""
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    register = await turn.uow.mentoring.mentors()
    people = await turn.uow.members.by_ids([m["member_id"] for m in register])
    mentors = [
        Mentor(
            id=m["member_id"],
            practice=_practice(people[m["member_id"]]),
            capacity=m["capacity"],
            interests=frozenset(i.lower() for i in m["interests"]),
            localities=frozenset(m["localities"]),
            stage=STAGE_OF_TYPE.get(people[m["member_id"]].gp_type or "", "partner"),
        )
        for m in register
        if m["member_id"] in people
    ]
    waiting = await turn.uow.mentoring.waiting_mentees()
    asking = await turn.uow.members.by_ids([member_id for member_id, _ in waiting])
    mentees = [
        Mentee(
            id=member_id,
            practice=_practice(asking[member_id]),
            interests=frozenset(w.strip().lower() for w in wants.replace(",", ";").split(";") if w.strip()),
            locality=asking[member_id].localities[0] if asking[member_id].localities else None,
            stage=STAGE_OF_TYPE.get(asking[member_id].gp_type or "", "salaried"),
        )
        for member_id, wants in waiting
        if member_id in asking
    ]
    existing = [(p["mentee_id"], p["mentor_id"]) for p in await turn.uow.mentoring.mentorships(["active"])]
    ended = [
        (p["mentee_id"], p["mentor_id"]) for p in await turn.uow.mentoring.mentorships(["ended", "declined"])
    ]
    proposals = propose(mentors, mentees, existing, ended)
    await turn.uow.mentoring.replace_proposals(
        ((p.mentee, p.mentor, p.fit, p.why) for p in proposals), turn.now
    )
    await turn.audit("matching_run", "mentoring", None, proposed=len(proposals), waiting=len(mentees))
    stored = await turn.uow.mentoring.mentorships(["proposed"])
    names = {**{m.id: m.name for m in people.values()}, **{m.id: m.name for m in asking.values()}}
    return [
        (row["id"], p, names[p.mentee], names[p.mentor]) for row, p in zip(stored, proposals, strict=True)
    ]


def _practice(member: Member) -> str | None:
    """A member's own practice, when they have one (a practice role, or one practice listed)."""
    own = roles.managed_practices(member)
    if own:
        return own[0]
    return member.practices[0] if len(member.practices) == 1 else None


async def pending_matches(turn: Turn, command: PendingMatches) -> PendingMentoring:
    """The proposals waiting for approval, as the last matching run left them (a query)."""
    roles.require_lead(await roles.actor(turn, command.by))
    proposed = await turn.uow.mentoring.mentorships(["proposed"])
    people = await turn.uow.members.by_ids(
        [p["mentee_id"] for p in proposed] + [p["mentor_id"] for p in proposed]
    )

    def name(member_id: int) -> str:
        return people[member_id].name if member_id in people else "someone who has left"

    return PendingMentoring(
        proposals=tuple(
            MatchProposal(p["id"], name(p["mentee_id"]), name(p["mentor_id"]), p["fit"], p["why"])
            for p in proposed
        ),
        waiting=len(await turn.uow.mentoring.waiting_mentees()),
        active=len(await turn.uow.mentoring.mentorships(["active"])),
        mentors=len(await turn.uow.mentoring.mentors()),
    )


async def approve_matches(turn: Turn, command: ApproveMatches) -> int:
    turn.by = command.by
    roles.require_lead(await roles.actor(turn, command.by))
    proposed = await turn.uow.mentoring.mentorships(["proposed"])
    chosen = [p for p in proposed if not command.ids or p["id"] in command.ids]
    unknown = set(command.ids) - {p["id"] for p in proposed}
    if unknown:
        raise Refused(f"No proposal numbered {', '.join(str(i) for i in sorted(unknown))}.", field="ids")
    approved = 0
    for proposal in chosen:
        pair = await turn.uow.mentoring.approve_mentorship(proposal["id"], turn.now)
        if pair is None:
            continue
        people = await turn.uow.members.by_ids([pair["mentee_id"], pair["mentor_id"]])
        mentee, mentor = people[pair["mentee_id"]], people[pair["mentor_id"]]
        before = await turn.uow.mentoring.previous_mentor(mentee.id)
        previous = await turn.uow.members.member(before) if before is not None else None
        if previous is not None:  # its own text, so the introduction always has room for why
            stepped_down = render("mentor_stepped_down", previous=previous)
            turn.say(Outbound(text=stepped_down, member_id=mentee.id, kind="mentor_introduction"))
        for me, other, role in ((mentee, mentor, "mentor"), (mentor, mentee, "mentee")):
            turn.say(
                Outbound(
                    text=render(
                        "mentor_introduction",
                        other=other,
                        new=previous is not None and role == "mentor",
                        role=role,
                        contact=channel_name(other.preferred_channel),
                        why=pair["why"],
                    ),
                    member_id=me.id,
                    kind="mentor_introduction",
                )
            )
        await turn.audit("mentorship_started", f"mentorship:{pair['id']}")
        await _plan_cycle(turn, pair["id"], turn.now)
        approved += 1
    return approved
