"""Every text fits in two GSM-7 SMS segments (306 characters), with the longest, most awkward
data the imports and forms allow: curly quotes, en dashes and diaereses normalised to GSM-7."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.gsm import segments, to_gsm
from adapters.sms import TwilioSms
from bot.clock import LONDON
from bot.documents import FormB
from bot.domain import (
    Booking,
    BookingState,
    Choice,
    GroupSession,
    Invoice,
    Member,
    Offer,
    OfferState,
    PeerGroup,
    Practice,
    Question,
    Session,
    SessionStatus,
    SignOff,
)
from config.professions import load_professions
from flows.conversation.messages import TEMPLATE_FOLDERS, render, template_names
from flows.desk import actions, alerts, imports
from flows.money import invoices, signoff
from flows.peer import groups, matching, mentoring
from flows.shifts import escalation, offers
from flows.shifts.offers import answer_choices
from flows.wellbeing import checkins

LONG = Practice(
    ods_code="X10001",
    name=("St Mary’s & St John’s Medical Centre – Ëast Northside Road")[: imports.MAX_PRACTICE_NAME],
    locality="Northside & Hillview Wells"[: imports.MAX_LOCALITY],
    address=(
        "Unit 14–16, The Old Maltings, Church Lane, Northside-upon-Tyne, Ëastshire NS12 4CD, opposite the Co-op"
    )[: imports.MAX_ADDRESS],
    info_pack=("Park in bay 4 – the code for the barrier is at reception. " * 10)[: imports.MAX_INFO_PACK],
    clinical_system="SystmOne (TPP) with Docman 10 and AccuRx"[: imports.MAX_CLINICAL_SYSTEM],
    phone="+442079460999",
)
GP = Member(
    id=1,
    name="Dr Zoë Ábrahám-O’Neill-Montgomery-Smythe"[: imports.MAX_NAME],
    phone="+447700900123",
    registration_number="GMC 7012345",
    max_sessions_per_week=14,
    days=("mon", "tue-am", "tue-pm", "wed", "thu-am", "thu-pm", "fri", "sat-am", "sat-pm", "sun"),
    localities=tuple(f"Locality number {n}" for n in range(9)),
    paused_until=date(2026, 12, 20),
    urgent_at_night=True,
)
START = datetime(2026, 12, 30, 8, 30, tzinfo=LONDON)
SESSION = Session(
    id=1, code="BCDF", practice="X10001", starts_at=START, ends_at=START + timedelta(hours=4, minutes=30),
    rate_pence=1_234_567, urgent=True, notes="Duty doctor: visits first – then the ‘hot’ clinic till close, please."[
        : offers.MAX_NOTES
    ], status=SessionStatus.OPEN, posted_by=None,
)  # fmt: skip
SIGNOFF = SignOff(1, 1, "X10001", 6.25, "awaiting", "gp", START)
INVOICE = Invoice(1, 1, "X10001", 1, "1234-0001", "invoice", "2026-12", START.date(), START.date(), "sent",
                  12_345_600, 99_999, 11_111_040, 1_597_768, 14_043_367, True)  # fmt: skip
LINK = "https://gp-pool.northside-integrated-care.nhs.uk/documents/" + "A" * 32  # a long host
FORM_B = FormB("2026/27", START.date(), "12345678LOCDEC2026", GP.name, "12345678", "", (), "", 6, "12.5",
               (None,) * 12, 11_111_040, 1_388_880, 1_597_768, 2_986_648, 11_111_040, START.date())  # fmt: skip
OFFER = Offer(1, 1, 1, "4821", 1, 1, "sms", OfferState.OPEN, None, START, None)
BOOKING = Booking(1, 1, 1, "4821", BookingState.BOOKED, START)
MANY = [(OFFER, SESSION, LONG)] * 12
PEER = {
    "group": PeerGroup(1, "Ëast Northside new GPs – action learning"[: groups.NAME_LIMIT], "action_learning", True, 1),
    "session": GroupSession(
        1, 1, START, START + timedelta(hours=2), ("Riverside Surgery – first-floor seminar room, " * 2)[
            : groups.PLACE_LIMIT
        ], ("https://teams.microsoft.com/l/meetup-join/" + "x" * 100)[: groups.LINK_LIMIT], 12, "A" * 16, "scheduled",
    ),
}  # fmt: skip
# The longest reason the matcher can give, from the longest interests and locality allowed.
_INTERESTS = frozenset(
    f"{n}" * ((mentoring.MAX_INTERESTS_CHARS + 1) // mentoring.MAX_INTERESTS - 1)
    for n in range(mentoring.MAX_INTERESTS)
)
assert mentoring.interests_problem(";".join(_INTERESTS)) is None
LONGEST_WHY = matching.fit(
    matching.Mentor(1, None, 1, _INTERESTS, frozenset({LONG.locality}), "partner"),
    matching.Mentee(2, None, _INTERESTS, LONG.locality, "newly_qualified"),
)[1]
PROFESSIONS = load_professions()
# The longest words each template may be given: an offer's word, who a session is for (two
# professions at most; more are "clinicians"), a member's title with a level, a registration.
LONGEST = sorted(PROFESSIONS, key=lambda p: len(p.name))[-2:]
WORDS = {
    "word": max((p.word for p in PROFESSIONS), key=len),
    "who": PROFESSIONS.words(p.key for p in LONGEST),
    "whos": PROFESSIONS.words((p.key for p in LONGEST), plural=True),
    "title": max((p.title(level) for p in PROFESSIONS for level in (None, *p.levels)), key=len),
    "registered": max(
        (p.registration(p.number_hint.split("like ")[-1].rstrip(")")) for p in PROFESSIONS), key=len
    ),
}
COMMON = {"session": SESSION, "practice": LONG, "code": "4821", "gp": GP, "member": GP, **WORDS}

SAMPLES: dict[str, dict] = {
    "already_booked": COMMON,
    "already_declined": {**COMMON, "still_open": True},
    "already_filled": COMMON,
    "available_how": {"past": True},
    "available_noted": {"day": START.date(), "halves": {"am"}, "offered": 12},
    "booked": COMMON,
    "booked_by_pool": COMMON,
    "booking_cancelled": {**COMMON, "reason": "r" * actions.MAX_REASON},
    "bookings_list": {"bookings": [(BOOKING, SESSION, LONG)] * 12},
    "card_booking": COMMON,
    "booking_reminder": COMMON,
    "checkin_invitation": {"channel": "slack"},
    "checkin_set": {"plan": {"cadence": "fortnightly", "weekday": 2, "at_time": "09:00"}, "first": START},
    "checkin_stopped": {},
    "checkin_question": {},
    "checkin_how": {"code": "4821"},
    "checkin_thanks": {"score": 4},
    "checkin_low": {"signposting": checkins.signposting(), "has_lead": True},
    "checkin_peer": {"mentor": GP, "session": PEER["session"], "group": PEER["group"]},
    "checkin_lead_no": {},
    "checkin_lead_yes": {"lead": GP},
    "checkin_comment_noted": {},
    "checkin_trend": {"history": [(START, 3)] * 6, "plan": {"cadence": "fortnightly", "at_time": "09:00"}},
    "checkin_forget_sure": {},
    "checkin_forgotten": {"gone": 12},
    "checkin_reminder": {},
    "checkin_still_want": {},
    "checkin_kept": {},
    "mentor_requested": {"wants": "w" * mentoring.MAX_INTERESTS_CHARS},
    "mentor_already": {},
    "mentor_remind": {"other": GP},
    "mentor_did_you_meet": {"other": GP},
    "mentor_met_noted": {},
    "mentor_not_met": {},
    "mentor_no_meeting": {"mentee": GP, "mentor": GP},
    "mentor_no_pair": {},
    "mentor_pair_ended": {},
    "mentor_lead_rematch": {},
    "mentor_rematched": {},
    "mentor_introduction": {
        "other": GP,
        "role": "mentor",
        "contact": "Telegram",
        "why": LONGEST_WHY,
        "new": True,
    },
    "mentor_stepped_down": {"previous": GP},
    "mentor_wants_too_long": {"problem": mentoring.interests_problem("w" * 9999)},
    "checkin_closed": {},
    "checkin_or_offer": {"value": "NO", "offers": [Question("offer", "4821", 1, 1)]},
    "checkin_nothing_to_add": {},
    "check_reminder": {"check": "occupational health", "expires": START.date(), "left": 30},
    "checks_digest": {
        "lapsed": [(GP, "occupational health", START.date())] * 3,
        "expiring": [(GP, "employment history", START.date() + timedelta(days=9))] * 40,
        "missing": [(GP, "DBS check, occupational health")] * 2,
        "items": [(GP, "occupational health", "lapsed", START.date())] * 3
        + [(GP, "DBS check, occupational health", "missing", None)] * 2
        + [(GP, "employment history", "expires", START.date() + timedelta(days=9))] * 40,
    },
    "hours_prompt": COMMON,
    "hours_nudge": COMMON,
    "hours_how": {**COMMON, "longest": 6.5},
    "hours_noted": {**COMMON, "hours": 4.5},
    "hours_none_noted": COMMON,
    "hours_not_delivered": COMMON,
    "hours_handover": COMMON,
    "signoff_ask": {**COMMON, "hours": 6.25, "for_practice": True},
    "signoff_reminder": {**COMMON, "hours": 6.25},
    "signoff_escalation": {**COMMON, "signoff": SIGNOFF, "days": 14},
    "signoff_query_alert": {**COMMON, "signoff": SIGNOFF, "words": "w" * signoff.MAX_QUERY},
    "signoff_confirmed": {**COMMON, "hours": 6.25, "pay": 1_234_567},
    "signoff_gp_told": {**COMMON, "hours": 6.25, "pay": 1_234_567},
    "signoff_gp_queried": {**COMMON, "hours": 6.25},
    "signoff_queried": COMMON,
    "signoff_settled": {**COMMON, "hours": 6.25, "pay": 1_234_567, "note": "n" * signoff.MAX_QUERY},
    "signoff_settled_practice": {**COMMON, "hours": 6.25, "pay": 1_234_567, "note": "n" * signoff.MAX_QUERY},
    "signoff_how": {"described": [("4821", SESSION, GP, SIGNOFF)] * 6},
    "signoff_none": {"code": "4821"},
    "signoff_not_yours": COMMON,
    "signoff_query_why": {"code": "4821"},
    "signoff_query_long": {"code": "4821", "limit": signoff.MAX_QUERY},
    "signoff_already": {**COMMON, "signoff": SIGNOFF},
    "invoice_to_practice": {**COMMON, "invoice": INVOICE, "link": LINK},
    "invoice_to_gp": {**COMMON, "invoice": INVOICE, "link": LINK},
    "invoice_draft": {**COMMON, "invoice": INVOICE, "missing": "address and bank details"},
    "invoice_paid_gp": {**COMMON, "invoice": INVOICE, "paid_on": START.date()},
    "invoice_paid_noted": {"invoice": replace(INVOICE, paid_on=START.date())},
    "invoice_not_paid": {"reason": "Invoice 1234-0001 is cancelled: only a sent invoice is paid."},
    "invoice_credited": {
        "invoice": INVOICE,
        "credit": INVOICE,
        "reason": "r" * invoices.MAX_REASON,
        "link": LINK,
    },
    "invoice_overdue": {**COMMON, "invoice": INVOICE, "link": LINK},
    "invoice_unpaid_alert": {**COMMON, "invoice": INVOICE},
    "form_b_reminder": {"form": FORM_B, "link": LINK},
    "form_b_blocked": {
        "month": START.date(),
        "reason": "Dr Zoë Ábrahám-O’Neill-Montgomery-Smythe's contribution tier is not set yet (1 to 6).",
    },
    "pension_window_gp": {**COMMON, "practice_name": LONG.name, "closes": START.date(), "invoice": INVOICE},
    "pension_window_practice": {**COMMON, "invoice": INVOICE, "closes": START.date()},
    "miles_noted": {**COMMON, "miles": 499.75, "pay": 1_234_567, "rate": 1000},
    "miles_how": {"sessions": [SESSION] * 4},
    "clarify_which": {
        "described": [(Question("offer", "4821", 1, 1), SESSION, LONG, None)] * 4,
        "said": "NO",
    },
    "signin_link": {
        "link": "https://pool.example.nhs.uk/console/link/" + "A" * 43,
        "minutes": 10,
        "pool_name": "Riverside & Hillview GP Pool",
    },
    "telegram_link": {
        "link": "https://t.me/GPPoolBot?start=" + "A" * 22,
        "days": 7,
        "pool_name": "Riverside & Hillview GP Pool",
    },
    "poster_still_open": {**COMMON, "waiting": 1000},
    "escalation_alert": {**COMMON, "waiting": 1000, "offered": 1000, "poster": GP},
    "cannot_book": {**COMMON, "reason": "checks", "cap": 14, "paused_until": date(2026, 12, 20)},
    "clarify": {"offers": MANY, "reason": "several"},
    "crisis": {
        "signposting": [
            "Call NHS 111 (option 2 for mental health) or Samaritans free on 116 123, any time.",
            "NHS Practitioner Health, for doctors: 0300 0303 300.",
        ],
        "lead_name": GP.name,
    },
    "declined": COMMON,
    "distress": {
        "support": ["NHS Practitioner Health gives doctors free, confidential support: 0300 0303 300."]
    },
    "drop_too_late": {**COMMON, "contact": escalation.Contact("the practice", "+442079460999")},
    "drop_unknown": COMMON,
    "drop_which": {"bookings": [(BOOKING, SESSION, LONG)] * 12},
    "dropped": COMMON,
    "filled_elsewhere": COMMON,
    "help": {},
    "inbox_answer": {
        "text": "a" * actions.MAX_ANSWER,
        "by": GP.name,
        "pool_name": "Riverside & Hillview GP Pool",
    },
    "info_pack": COMMON,
    "no_open_offer": {},
    "not_understood": {},
    "offer": COMMON,
    "offer_cancelled": COMMON,
    "offer_expired": COMMON,
    "offer_replaced": COMMON,
    "offers_list": {"offers": MANY},
    "opted_in": {"changed": True, "pool_name": "Riverside & Hillview GP Pool"},
    "opted_out": {"pool_name": "Riverside & Hillview GP Pool"},
    "pause_which_day": {"past": True},
    "whatsapp_asked": {"number": GP.phone},
    "whatsapp_confirm": {"pool_name": "Riverside & Hillview GP Pool"},
    "whatsapp_off": {"pool_name": "Riverside & Hillview GP Pool"},
    "whatsapp_on": {"changed": True, "number": GP.phone},
    "paused": {"until": date(2026, 12, 20)},
    "poster_all_declined": COMMON,
    "poster_dropped": COMMON,
    "poster_expired": COMMON,
    "poster_nobody": COMMON,
    "practice_booked": COMMON,
    "practice_cancelled": {**COMMON, "by": GP},
    "refused": {"message": "Sorry, you can only do that for your own practice's sessions."},
    "resumed": {"was_paused": True},
    "session_cancelled": COMMON,
    "setting_changed": {"setting": "areas", "areas": list(GP.localities)},
    "setting_how": {"setting": "areas", "known": [f"Locality number {n}" for n in range(30)]},
    "settings": {"member": GP, "channel": "text"},
    "text_only": {},
    "unknown_code": COMMON,
    "unknown_sender": {"pool_name": "Riverside & Hillview GP Pool", "channel": "sms"},
    "stranger_flood": {"numbers": 123456, "minutes": 1440, "per_hour": 100000},
    "whatsapp_misconfigured": {
        "code": "63027",
        "meaning": "the WhatsApp template does not exist for that language or is not approved (its ContentSid)",
    },
    "checkin_about": {"code": "4821"},
    "more_nothing": {},
    "alerts_how": {"follows": True, "current": START.time(), "unreadable": True},
    "digest_line": {**COMMON, "event": "not_held"},
    "digest_header": {"counts": [(event, 9999) for event in alerts.EVENTS]},
    "open_none": {},
    # A batch holds as many sessions as fit two segments (flows/shifts/batches.py); one alone fits.
    "offers_batch": {"rows": [(OFFER, SESSION, LONG)], "groups": [(LONG, None, [(OFFER, SESSION)])], **WORDS},
    "list_line": {**COMMON, "rate": True},
    "peer_session_line": {**PEER, "answer": "going", "code": "4821"},
    # A page is filled to two texts by flows/conversation/lists.py; one item alone must fit with the rest.
    "listing": {
        "header": "Open sessions you can take:",
        "lines": [render("list_line", **COMMON, rate=True)],
        "more": 999,
        "footer": "Reply YES with the code to book one.",
    },
    "urgent_sent": {"code": "BCDF", "sent": 1000, **WORDS},
    "peer_invite": {
        **PEER,
        "places": 12,
        "calendar": "https://pool.example.org/calendar/" + "A" * 16 + ".ics",
    },
    "peer_going": PEER,
    "peer_already_going": PEER,
    "peer_waitlisted": {**PEER, "place": 12},
    "peer_not_going": PEER,
    "peer_promoted": PEER,
    "peer_reminder_day": PEER,
    "peer_reminder_hour": PEER,
    "peer_did_you_make_it": PEER,
    "peer_attended_noted": {"came": False},
    "peer_session_cancelled": PEER,
    "peer_session_started": PEER,
    "peer_cancelled": PEER,
    "peer_about": {**PEER, "kind": "attended"},
    "peer_nudge": {"groups": [PEER["group"]] * 3, "sessions": [(PEER["group"], PEER["session"], "4821")] * 2},
    "nudges_set": {"off": True},
    "nudges_how": {},
    "offers_held": {"until": START},
    "crisis_no_lead": {},
    "peer_sessions_list": {"listed": [(PEER["group"], PEER["session"], "going", "4821")] * 3},
    "peer_coffee": {"group": PEER["group"], "others": [(GP, "Telegram")] * 2, "met": [GP] * 2, "size": 11},
}
# The wellbeing lead must see a person's own words, however many texts that takes.
LONGER_ON_PURPOSE = {"crisis_lead", "checkin_lead_told"}
# Shown only on chat channels (Slack's /pool status, Telegram), never sent as a text.
CHAT_ONLY = {
    "link_refused",
    "desk_inbox",
    "already_linked",
    "linked",
    "unlinked",
    "help_unlinked",
    "forwarded",
    "desk_status",
    "session_posted",
    "desk_not_allowed",
    "desk_cancelled",
    "desk_booked",
    "desk_help",
    "desk_peer_help",
}
CHOICES = {
    "mentor_did_you_meet": (Choice("Yes, we met", "YES 4821"), Choice("Not yet", "NO 4821")),
    "checkin_reminder": tuple(Choice(str(n), f"{n} 4821") for n in range(1, 6)),
    "checkin_still_want": (Choice("Keep them", "YES 4821"), Choice("Stop them", "NO 4821")),
    "checkin_question": tuple(Choice(str(n), f"{n} 4821") for n in range(1, 6)),
    "checkin_low": (Choice("Yes, please", "YES 4821"), Choice("No, thanks", "NO 4821")),
    "hours_prompt": (Choice("4.5 hours", "4.5 4821"), Choice("It didn't go ahead", "NO 4821")),
    "hours_nudge": (Choice("4.5 hours", "4.5 4821"), Choice("It didn't go ahead", "NO 4821")),
    "signoff_ask": (Choice("Confirm the hours", "OK 4821"), Choice("Query them", "QUERY 4821")),
    "signoff_reminder": (Choice("Confirm the hours", "OK 4821"), Choice("Query them", "QUERY 4821")),
    "escalation_alert": (Choice("Offer to everyone", "URGENT BCDF"),),
    "offer": answer_choices("4821"),
    "peer_invite": (Choice("Going", "YES 4821"), Choice("Not going", "NO 4821")),
    "peer_going": (Choice("Not going", "NO 4821"),),
    "peer_did_you_make_it": (Choice("Yes", "YES 4821"), Choice("No", "NO 4821")),
    "poster_still_open": (Choice("Offer to everyone", "URGENT BCDF"),),
}  # (clarify has buttons only with one offer: see below)
SMS = TwilioSms(
    "AC1", "token", "https://api.twilio.test", "https://pool.example.org", from_number="+447700900999"
)


def test_every_template_has_a_sample() -> None:
    assert set(SAMPLES) | LONGER_ON_PURPOSE | CHAT_ONLY == set(template_names())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_fits_two_gsm7_segments(name: str) -> None:
    text = SMS.render(render(name, **SAMPLES[name]), CHOICES.get(name, ()))
    counted = segments(text)
    assert counted.encoding == "GSM-7", f"{name}: {text!r}"
    assert counted.count <= 2, f"{name} is {counted.units} characters:\n{text}"


def test_awkward_data_is_normalised() -> None:
    assert to_gsm("St Mary’s – Zoë “Hot” clinic…") == 'St Mary\'s - Zoe "Hot" clinic...'
    assert segments(to_gsm("Zoë")).encoding == "GSM-7" and segments("Zoë").encoding == "UCS-2"
    assert to_gsm("Café £320 € Ñ ß") == "Café £320 € Ñ ß", "what GSM-7 has is kept"


def test_clarifying_one_offer_fits_with_its_reply_words() -> None:
    text = SMS.render(render("clarify", offers=MANY[:1], reason="conditional"), answer_choices("4821"))
    assert segments(text).count <= 2 and text.endswith("Reply YES 4821 or NO 4821.")


def test_every_template_lives_in_one_area_folder_and_each_name_once() -> None:
    """Templates are rendered by bare name from flows/templates/<area>/: a second file with the
    same name in another folder would be silently shadowed."""
    root = Path(__file__).resolve().parents[2] / "flows" / "templates"
    assert not list(root.glob("*.j2")), "every template sits in an area's folder"
    folders = {path.parent.name for path in root.rglob("*.j2")}
    assert folders == set(TEMPLATE_FOLDERS), "a folder the loader does not search"
    names = Counter(path.stem for path in root.rglob("*.j2"))
    assert [name for name, count in names.items() if count > 1] == []
    assert {n for n in names if not n.startswith("_")} == set(template_names())
