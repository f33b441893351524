"""Who is offered a session, who may book it, and in which order they hear."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.clock import LONDON
from bot.domain import CHECK_KINDS, BookedSlot, GpFacts, Member, Practice, Session, SessionStatus
from config.professions import load_professions
from flows.shifts import eligibility

PROFESSIONS = load_professions()

PRACTICE = Practice("X10001", "Riverside Surgery", locality="Northside")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=LONDON)


def session(day: int = 2, start: tuple[int, int] = (8, 30), hours: float = 4, sid: int = 1) -> Session:
    starts = datetime(2026, 12, day, *start, tzinfo=LONDON)
    return Session(
        id=sid,
        code="BCDF",
        practice="X10001",
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        rate_pence=32000,
        urgent=False,
        notes="",
        status=SessionStatus.OPEN,
        posted_by=None,
    )


def facts(
    member_id: int = 1, checks: dict | None = None, bookings=(), worked=False, recent=0, **fields
) -> GpFacts:
    return GpFacts(
        member=Member(
            id=member_id,
            name=f"Dr {member_id}",
            phone=f"+4477009000{member_id:02d}",
            preferred_channel="sandbox",
            **fields,
        ),
        checks=dict.fromkeys(CHECK_KINDS) if checks is None else checks,
        bookings=tuple(bookings),
        worked_at_practice=worked,
        recent_sessions=recent,
        offered_this_round=False,
        turned_down=False,
    )


def blocker(f: GpFacts, s: Session | None = None) -> str | None:
    return eligibility.offer_blocker(f, s or session(), PRACTICE, NOW, ("sandbox",), PROFESSIONS)


def test_a_gp_with_every_check_and_no_preferences_is_offered() -> None:
    assert blocker(facts()) is None


def test_checks_must_all_be_present_and_unexpired_on_the_session_date() -> None:
    missing_dbs = {k: None for k in CHECK_KINDS if k != "dbs"}
    assert blocker(facts(checks=missing_dbs)) == "checks"
    expires_that_day = {**dict.fromkeys(CHECK_KINDS), "indemnity": date(2026, 12, 2)}
    assert blocker(facts(checks=expires_that_day)) == "checks"
    expires_next_day = {**dict.fromkeys(CHECK_KINDS), "indemnity": date(2026, 12, 3)}
    assert blocker(facts(checks=expires_next_day)) is None
    # valid today but lapsed by the session's date
    assert blocker(facts(checks=expires_next_day), session(day=9)) == "checks"


def test_practice_and_locality_preferences() -> None:
    assert blocker(facts(practices=("X20001",))) == "practice"
    assert blocker(facts(practices=("X10001",))) is None
    assert blocker(facts(localities=("Southgate",))) == "locality"
    assert blocker(facts(localities=("northside",))) is None


def test_days_and_half_days() -> None:
    wednesday_morning = session(day=2)
    wednesday_afternoon = session(day=2, start=(13, 30))
    assert blocker(facts(days=("wed",)), wednesday_morning) is None
    assert blocker(facts(days=("wed-am",)), wednesday_morning) is None
    assert blocker(facts(days=("wed-pm",)), wednesday_morning) == "days"
    assert blocker(facts(days=("wed-am",)), wednesday_afternoon) == "days"
    assert blocker(facts(days=("tue", "thu")), wednesday_morning) == "days"
    all_day = session(day=2, start=(8, 0), hours=10)
    assert blocker(facts(days=("wed-am",)), all_day) == "days"
    assert blocker(facts(days=("wed-am", "wed-pm")), all_day) is None
    # Sessions as practices post them: a morning may run past midday, an afternoon start before 13:00.
    assert blocker(facts(days=("wed-am",)), session(day=2, start=(8, 0), hours=5.5)) is None
    assert blocker(facts(days=("wed-pm",)), session(day=2, start=(12, 30), hours=5.5)) is None
    assert blocker(facts(days=("wed-pm",)), session(day=2, start=(11, 0), hours=4)) == "days"


def test_an_overlapping_booking_blocks_but_a_back_to_back_one_does_not() -> None:
    s = session()
    overlapping = BookedSlot(9, "X20001", s.starts_at + timedelta(hours=3), s.ends_at + timedelta(hours=3))
    back_to_back = BookedSlot(9, "X20001", s.ends_at, s.ends_at + timedelta(hours=4))
    assert blocker(facts(bookings=[overlapping]), s) == "overlap"
    assert blocker(facts(bookings=[back_to_back]), s) is None


def test_weekly_cap_counts_the_london_week() -> None:
    s = session(day=2)  # Wednesday
    monday = BookedSlot(
        8, "X20001", datetime(2026, 11, 30, 9, tzinfo=LONDON), datetime(2026, 11, 30, 13, tzinfo=LONDON)
    )
    last_sunday = BookedSlot(
        7, "X20001", datetime(2026, 11, 29, 9, tzinfo=LONDON), datetime(2026, 11, 29, 13, tzinfo=LONDON)
    )
    assert blocker(facts(bookings=[monday], max_sessions_per_week=1), s) == "cap"
    assert blocker(facts(bookings=[last_sunday], max_sessions_per_week=1), s) is None
    assert blocker(facts(bookings=[monday], max_sessions_per_week=2), s) is None


def test_paused_until_a_date_inclusive() -> None:
    assert blocker(facts(paused_until=date(2026, 12, 1))) == "paused"  # paused today
    assert blocker(facts(paused_until=date(2026, 11, 30))) is None
    assert blocker(facts(paused_until=date(2026, 12, 2)), session(day=2)) == "paused"


def test_opted_out_of_every_channel_is_not_offered() -> None:
    assert blocker(facts(opted_out=frozenset({"sandbox"}))) == "unreachable"


def test_a_session_that_has_started_is_neither_offered_nor_booked() -> None:
    started = session(day=1, start=(7, 30))
    assert blocker(facts(), started) == "started"
    assert eligibility.booking_blocker(facts(), started, NOW, PROFESSIONS) == "started"


def test_only_clinicians_are_offered() -> None:
    assert blocker(facts(roles=frozenset({"coordinator"}))) == "not_clinician"


def test_ranking_best_fit_first() -> None:
    s = session()
    plain = facts(1)
    busy = facts(2, recent=3)
    local = facts(3, localities=("Northside",))
    returning = facts(4, worked=True, recent=5)
    contracted = facts(5, contracted_sessions_per_week=2, recent=9)
    contracted_full = facts(
        6,
        contracted_sessions_per_week=1,
        recent=9,
        bookings=[
            BookedSlot(
                8, "X20001", datetime(2026, 12, 3, 9, tzinfo=LONDON), datetime(2026, 12, 3, 13, tzinfo=LONDON)
            )
        ],
    )
    ranked = eligibility.rank([plain, busy, local, returning, contracted, contracted_full], s, PRACTICE)
    assert [f.member.id for f in ranked] == [5, 4, 3, 1, 2, 6]


def test_next_wave_skips_those_already_offered_or_who_turned_it_down() -> None:
    s = session()
    wave = eligibility.next_wave(
        [replace(facts(1), offered_this_round=True), replace(facts(2), turned_down=True), facts(3)],
        s,
        PRACTICE,
        NOW,
        ("sandbox",),
        PROFESSIONS,
    )
    assert [f.member.id for f in wave] == [3]
