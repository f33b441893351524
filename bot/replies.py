"""What a reply means: a keyword, a clear yes or no, something to clarify, or not understood.

GPs reply between patients, so we are forgiving about form ("Yes please!", "4821 yes",
"sorry no") but never guess about meaning: anything conditional or ambiguous ("yes but only
till 12", "Yes?", "no problem") is ``Unclear`` and changes nothing. The exact phrasings live
in sets below; tests/test_replies_table.py holds the table of real replies and their outcomes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

CODE = re.compile(r"(?<![\w-])#?(\d{4})(?![\w-])")
OTHER_NUMBER = re.compile(r"\d")
WORD = re.compile(r"[a-z]+")


def _phrases(table: str) -> frozenset[str]:
    """A '|'-separated table of phrases, as written below, into a set."""
    return frozenset(" ".join(p.split()) for p in table.split("|") if p.strip())


YES_PHRASES = _phrases(
    """
    y | yes | ye | yes please | yes pls | yes plz | yes thanks | yes thank you | yes ta |
    yep | yup | yeah | yeah go on | yea | yes yes | accept | accepted | i accept | yes accept |
    yes i accept | ill take it | i will take it | yes ill take it | ill do it | i will do it |
    yes ill do it | i can do it | i can do that | yes i can | yes i can do it | yes i can do that |
    book me | book me in | book it | please book me | please book me in | yes book me |
    yes book me in | yes please book me in | count me in | yes count me in | confirm | confirmed |
    i confirm | definitely | absolutely | yes definitely | yes absolutely | sure | yes sure |
    sure thing | go on then | happy to | yes happy to | yes happy to do it | im in | yes im in |
    go for it | ok yes | yes ok | okay yes | yes okay | yes thats fine | thats fine yes |
    yes please thanks | yes please thank you | yes that works | that works yes | i want it |
    yes i want it | ill have it | yes ill have it | id love to | yes id love to
    """
)
NO_PHRASES = _phrases(
    """
    n | no | nope | nah | no thanks | no thank you | no ta | no sorry | sorry no | no no |
    sorry not this time | no not this time | not this time | not today | no can do |
    sorry no can do | cant | cannot | can not | cant do it | cant make it | cannot make it |
    cant do | sorry cant | sorry cannot | sorry i cant | i cant | i cannot | no i cant |
    no sorry cant | no sorry i cant | sorry cant do it | sorry i cant do it | decline |
    declined | i decline | no decline | unable | sorry unable | sorry im unable | im unable |
    not available | unavailable | im not available | no im not available |
    sorry im not available | sorry not available | im busy | busy | sorry busy | sorry im busy |
    no im busy | pass | ill pass | i will pass | ill pass thanks | not for me | no not for me |
    sorry not for me | no unfortunately | unfortunately not | unfortunately no | sadly not |
    sadly no | afraid not | im afraid not | sorry afraid not | no sorry not this time |
    no thanks not this time | no cant | no cannot
    """
)

# Words that make a message read like an answer: if it is not one of the phrases above,
# it is an answer we must not guess at.
ANSWER_CUES = _phrases(
    """
    y | yes | ye | yeah | yep | yup | yea | ok | okay | sure | accept | accepted | book | booked |
    fine | happy | confirm | definitely | absolutely | maybe | perhaps | possibly | probably |
    might | could | would | if | but | only | unless | until | till | depends | unsure | later |
    tomorrow | no | n | nope | nah | not | cant | cannot | unable | decline | declined | sorry |
    busy | pass | unfortunately | afraid | problem | worries
    """
)
# Pleasantries that need no answer: replying to "thanks" by text costs the pool money.
ACKNOWLEDGEMENTS = _phrases(
    """
    thanks | thank you | thanks very much | thank you very much | many thanks | cheers | ta |
    great | great thanks | lovely | lovely thanks | perfect | perfect thanks | brilliant |
    brilliant thanks | brill | noted | got it | ok thanks | okay thanks | thanks ok | ok great |
    great stuff | fab | fab thanks | super | wonderful | thx | ty | thank u | ok thank you |
    ok noted | received | ok got it
    """
)
THUMBS = frozenset(["👍", "👌", "🙏", "✅", "😊", "🙂"])

GREETINGS = ("hi", "hello", "hey", "morning", "afternoon", "evening", "dear")
SIGN_OFFS = ("x", "xx", "xxx", "thx", "cheers")

# Carrier words (Twilio and UK carriers act on these before we see them) and ours.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN_WORDS = frozenset({"start", "unstop"})
BARE_KEYWORDS = {
    "help": "HELP",
    "info": "HELP",
    "offers": "OFFERS",
    "my offers": "OFFERS",
    "bookings": "BOOKINGS",
    "my bookings": "BOOKINGS",
    "resume": "RESUME",
    "settings": "SETTINGS",
    "my settings": "SETTINGS",
    "checkins": "CHECKINS",
    "rematch": "REMATCH",
    "groups": "GROUPS",
    "peer sessions": "GROUPS",
    "my checkins": "CHECKINS",
}
ARGUMENT_KEYWORDS = {
    "drop": "DROP",
    "pause": "PAUSE",
    "available": "AVAILABLE",
    "cap": "CAP",
    "days": "DAYS",
    "areas": "AREAS",
    "nights": "NIGHTS",
    "channel": "CHANNEL",
    "quiet": "QUIET",
    "checkin": "CHECKIN",
    "mentor": "MENTOR",
    "forget": "FORGET",
    "nudges": "NUDGES",
}
SESSION_CODE = re.compile(r"^[bcdfghjklmnpqrstvwxz]{4}$")  # as flows/offers.py makes them

KeywordName = Literal[
    "HELP",
    "OFFERS",
    "BOOKINGS",
    "RESUME",
    "SETTINGS",
    "DROP",
    "PAUSE",
    "AVAILABLE",
    "STOP",
    "START",
]


@dataclass(frozen=True, slots=True)
class Keyword:
    name: KeywordName
    argument: str = ""  # the rest of the message, normalised
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    value: Literal["yes", "no"]
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Unclear:
    """Reads like an answer but is conditional, a question, or ambiguous: ask, change nothing."""

    code: str | None = None
    reason: Literal["question", "conditional", "code_only", "several_codes", "maybe_acknowledgement"] = (
        "conditional"
    )


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """'Thanks', 'great': understood, needs no answer."""


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    pass


@dataclass(frozen=True, slots=True)
class Hours:
    """Hours worked, as a GP types them: '4', '4.5 hrs', '4h30', '4 hours 30 mins', '4:30'."""

    hours: float
    code: str | None = None


Parsed = Keyword | Answer | Unclear | Acknowledgement | NotUnderstood | Hours

# 1 or 2 digits of hours (4-digit numbers are codes), then perhaps minutes.
HOURS = re.compile(
    r"^(?:i\s+(?:did|worked)\s+)?(?P<h>\d{1,2}(?:\.\d{1,2})?)\s*(?:h|hr|hrs|hour|hours)?"
    r"(?:\s*(?:and\s*)?(?::|\s)?\s*(?P<m>\d{1,2})\s*(?:m|min|mins|minutes)?)?$"
)


def normalise(text: str) -> str:
    """Lower case, straight apostrophes removed, accents folded, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.lower().replace("'", "")
    return " ".join(text.split())


def parse(text: str) -> Parsed:
    """Read one message. Never raises; unknown shapes are ``NotUnderstood``."""
    plain = normalise(text)
    stripped = plain.strip(" .!,;:")
    if not stripped:
        return NotUnderstood()

    keyword = _keyword(stripped)
    if keyword is not None:
        return keyword

    codes = sorted(set(CODE.findall(stripped)))
    without_codes = CODE.sub(" ", stripped)
    if len(codes) > 1:
        return Unclear(None, "several_codes")
    code = codes[0] if codes else None
    hours = _hours(" ".join(without_codes.split()))
    if hours is not None:
        return Hours(hours, code)
    has_other_digits = bool(OTHER_NUMBER.search(without_codes))

    if stripped in THUMBS or stripped in {"ok", "okay", "k", "kk"}:
        # With an offer open this could be a yes; with nothing open, a nod. The router decides.
        return Unclear(code, "maybe_acknowledgement")

    words = WORD.findall(without_codes)
    residue = WORD.sub(" ", without_codes)
    residue = re.sub(r"[\s.,!;:&()\-]", "", residue)

    if "?" in stripped:
        return Unclear(code, "question") if (code or _cued(words)) else NotUnderstood()

    phrase = " ".join(_trim(words))
    if not residue and not has_other_digits:
        if phrase in YES_PHRASES:
            return Answer("yes", code)
        if phrase in NO_PHRASES:
            return Answer("no", code)
        if not code and (phrase in ACKNOWLEDGEMENTS or " ".join(words) in ACKNOWLEDGEMENTS):
            return Acknowledgement()
    if _cued(words):
        return Unclear(code, "conditional")
    if code and not phrase:
        return Unclear(code, "code_only")
    return NotUnderstood()


def _hours(text: str) -> float | None:
    """Hours as typed, or None when it is not clearly hours. '4.5' and '4.25' are decimals;
    '4.30', '4.15' and '4.45' are hours and minutes, as people write times in the UK; other
    two-digit decimals ('4.20') are not guessed. Minutes after a space need a unit or to be a
    quarter ('4 30'), so '1 2' is not read as hours."""
    match = HOURS.match(text)
    if match is None:
        return None
    whole, _, fraction = match["h"].partition(".")
    minutes = int(match["m"]) if match["m"] else 0
    if minutes >= 60 or (minutes and fraction):
        return None
    if match["m"] and not re.search(r"[hm:]", text) and minutes not in (15, 30, 45):
        return None
    if len(fraction) == 2 and fraction not in ("25", "50", "75"):
        if fraction not in ("15", "30", "45"):
            return None
        return round(int(whole) + int(fraction) / 60, 2)
    return round(float(match["h"]) + minutes / 60, 2)


def _keyword(stripped: str) -> Keyword | None:
    if stripped in OPT_OUT_WORDS or stripped in {"stop please", "please stop"}:
        return Keyword("STOP")
    if stripped in OPT_IN_WORDS:
        return Keyword("START")
    bare = stripped.removesuffix(" please").strip()
    if bare in BARE_KEYWORDS:
        return Keyword(BARE_KEYWORDS[bare])  # type: ignore[arg-type]
    first, _, rest = stripped.partition(" ")
    if first == "urgent" and SESSION_CODE.match(rest.strip()):
        return Keyword("URGENT", rest.strip().upper())  # a coordinator's re-broadcast
    if first in ARGUMENT_KEYWORDS:
        codes = CODE.findall(rest)
        return Keyword(
            ARGUMENT_KEYWORDS[first],  # type: ignore[arg-type]
            rest.strip(),
            codes[0] if len(codes) == 1 else None,
        )
    return None


def _cued(words: list[str]) -> bool:
    return any(word in ANSWER_CUES for word in words)


def _trim(words: list[str]) -> list[str]:
    """Drop a greeting in front and a sign-off behind: 'Hi, yes please x' reads 'yes please'."""
    start, end = 0, len(words)
    while start < end and words[start] in GREETINGS:
        start += 1
    while end > start and words[end - 1] in SIGN_OFFS:
        end -= 1
    return words[start:end]
