"""What a reply means: a keyword, a clear yes or no, something to clarify, or not understood.

GPs reply between patients, from a phone, sometimes by voice: "Hi, yes please x", "Yes. I can
do that one. Thank you.", "can't, away till the 5th", "yesss 👍". We are forgiving about form
but never guess about meaning. A message is cut into clauses (at full stops, commas, "and",
"but"); each clause is read by a named rule; a yes or no stands only when every other clause is
a pleasantry ("see you there", "thanks", "x") or, for a no, an apology or a reason ("I'm on
leave"). Anything conditional, questioning, mixed or a counter-offer ("yes but only till 12",
"Yes?", "yes... actually no", "can do 9 till 1") is ``Unclear`` and changes nothing. "No
problem" is British agreement: never a decline; alone it is asked about, with a yes it is a
yes. Every reading names the rule that made it, for the audit log.

The phrasings live in the tables below; tests/data/replies.csv is the table of real replies
and their outcomes (tuned against), tests/data/replies_heldout.csv the held-out one (never
tuned against, only reported on).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

CODE = re.compile(r"(?<![\w-])#?(\d{4})(?![\w-])")
OTHER_NUMBER = re.compile(r"\d")
WORD = re.compile(r"[a-z]+")
# Where one clause ends and the next begins: sentence and list punctuation, dashes between
# words, an ellipsis, "and", "but" (a "but" is remembered: a yes never stands beside one).
CLAUSE_BREAK = re.compile(r"[.!;,\n]+|\s[-–—]+\s|\s[-–—]+$|^[-–—]+\s|\s+(?:and|but|&)\s+")


def _forms(*templates: str) -> frozenset[str]:
    """Every phrase a template stands for: ``[a|b]`` is optional, ``(a|b)`` a choice.
    '[yes] i can do [it|that]' is 'i can do', 'i can do it', 'yes i can do that', ..."""
    found: set[str] = set()
    for template in templates:
        parts = []
        for token in re.findall(r"\[[^\]]*\]|\([^)]*\)|\S+", template):
            if token[0] in "[(":
                choices = [" ".join(c.split()) for c in token[1:-1].split("|")]
                parts.append(choices + ([""] if token[0] == "[" else []))
            else:
                parts.append([token])
        for combination in itertools.product(*parts):
            found.add(" ".join(word for word in combination if word))
    return frozenset(found)


def _word_set(table: str) -> frozenset[str]:
    return frozenset(table.split())


def _phrases(table: str) -> frozenset[str]:
    """A '|'-separated table of phrases into a set."""
    return frozenset(" ".join(p.split()) for p in table.split("|") if p.strip())


OBJECT = "[it|that|that one|this|this one|the session|the shift|them|both]"
YES_PHRASES = _forms(
    "(y|yes|ye|yeah|yep|yup|ya|aye|yes yes|yes yes yes) [please|please do]",
    "(yes|yeah|ok|okay) (please|sure|definitely|absolutely|of course|go on|go ahead|fine|great|thats fine)",
    "(sure|ok|okay) (yes|yeah)",
    "[yes|yeah|ok|sure] (definitely|absolutely|certainly|gladly|of course|sure|sure thing) [yes]",
    f"[yes|yeah|ok|sure] [i] can do {OBJECT} [for you]",
    f"[yes|yeah|ok|sure] [i] can (make|cover|take) {OBJECT}",
    "[yes|yeah] (im|i am) (free|available|in)",
    "[yes|yeah] [please] book me [in] [please] [for it|for that|for that one]",
    "[yes|yeah] [please] (book|take) (it|that|that one|me)",
    "[yes|yeah] please book",
    "[yes|yeah] count me in",
    f"[yes|yeah|ok|sure] (ill|i will|i can|i shall) (take|do|cover|have) {OBJECT}",
    "[yes|yeah|ok|sure] (ill|i will) be there",
    "[yes|yeah] [im|i am|id be|i would be] (happy|glad|pleased) to [help|do it|do that|cover it|cover]",
    "[yes|yeah] [id|i would|would] (love|like) to [do it|do that]",
    "[yes|yeah] [id|i would] like (it|that|that one)",
    "[yes|yeah] [that] (sounds|looks) (good|great|fine|perfect|lovely)",
    "[yes|yeah] (that|this|it) works [for me]",
    "[yes|yeah] works for me",
    "[yes|yeah] [please] put me down [for it|for that|for that one]",
    "[yes|yeah] go ahead [and book me|and book it|and book me in]",
    "[yes|yeah] [i] (accept|accepted|confirm|confirmed)",
    "[yes|yeah|ok] (thats|that is|its|it is) fine [yes]",
    "(i want|i will have|ill have) (it|that|that one)",
    "[yes|yeah|ok|okay|oh] go on then [yes]",
    "[ok|okay] (great|lovely|perfect|brilliant|fab) yes [please]",
    "[yes|yeah] go for it",
    "(yes|ok|okay|yeah) (ok|okay|yes|thats fine|great)",
    "(no problem|not a problem|no probs|no worries) [i|ill|i will|i can] (do it|take it|cover it|do that|be there|happy to)",
    "(yes|yeah|sure) (no problem|not a problem|no probs|no worries)",
    "can do",
)
NO_PHRASES = _forms(
    "(n|no|nope|nah|na|no no) [sorry|thanks|thank you|ta|not this time|not today|not this one]",
    "(sorry|thanks) (no|nope|nah)",
    f"[no] [sorry] [i] (cant|cannot|can not) [do|make|take|cover] {OBJECT} [sorry]",
    "[no] [sorry] [i] (cant|cannot|can not) (make it|make that|make that one|do it|do that one) [then|that day|that week]",
    "[no] [sorry] [im|i am] not (free|available) [then|that day|that week|that morning|that afternoon]",
    "[no] [sorry] [im|i am] (unavailable|unable) [to] [do it|make it|do that|do that one]",
    "[no] [sorry] [i] (wont|will not) be able to [do it|make it|do that|do that one]",
    "[no] [sorry] [i] (cant|cannot) (sorry)",
    "[no] [sorry] not (this time|today|this one|for me|that one) [sorry|thanks]",
    "[no] [sorry] [i] [will|ill] (pass|have to pass|give it a miss|give this one a miss|sit this one out) [this time|on this one|on that one|thanks]",
    "(unfortunately|sadly|afraid) (not|no)",
    "[no] [im|i am] afraid not",
    "[no] (unfortunately|sadly)",
    "no can do",
    "[no] [i] (decline|declined)",
    "(thanks but no thanks|no thanks not this time)",
    "[no] [sorry] [its] too far [for me]",
    "[no] [sorry] [im|i am] (ill|sick|off sick|unwell)",
    "[no] [sorry] (im|i am) (busy|booked|fully booked|already booked|working|already working)",
    "[no] [sorry] (busy|booked|fully booked|already booked|unavailable|not available|cant)",
    "[no] [sorry] [im|i am] (away|on holiday|on leave|on annual leave|abroad|off)",
)
# A no that opens a clause, the rest of which is only a reason ("can't make it tomorrow",
# "I'm away that week", "already booked elsewhere that day").
NO_OPENERS = _forms(
    "[no] [sorry] [unfortunately] [i] (cant|cannot|can not)",
    "[no] [sorry] [unfortunately] [i] (wont|will not) be able to",
    "[no] [sorry] [unfortunately] (im|i am) (away|on holiday|on leave|on annual leave|abroad|off|unable to|not available|not free|busy|working|already working|booked|already booked|fully booked)",
    "[no] [sorry] [unfortunately] (away|on holiday|on leave|on annual leave|not available|not free|busy|already booked|booked|working)",
)
# Pleasantries: none of them changes what a yes or a no means.
PLEASANTRIES = _forms(
    "(thanks|thank you|thank u|ty|cheers|ta|many thanks|much appreciated|appreciated) [very much|so much|again|x|xx]",
    "(thanks|thank you) (for asking|for thinking of me|for the offer|for letting me know)",
    "see you [there|then|soon|tomorrow|on the day|at the surgery|in the morning|next week]",
    "see you (monday|tuesday|wednesday|thursday|friday|saturday|sunday) [morning|afternoon]",
    "[i] look forward to it",
    "[im] looking forward to it",
    "(great|perfect|lovely|brilliant|excellent|fab|fantastic|super|wonderful|smashing|ace|awesome|cool|nice|good|grand) [thanks|stuff|thank you]",
    "have a (good|nice|lovely|great) (day|weekend|evening)",
    "(best wishes|kind regards|regards|best|many thanks|warm regards)",
    "hope (youre|you are) well",
    "(hi|hello|hey|hiya|dear|morning|good morning|afternoon|good afternoon|evening|good evening) [there|all|team]",
    "(oh|ah|well|right|so|um|erm|hmm ok)",
    "(x|xx|xxx)",
)
APOLOGIES = _forms("[im|i am|so|really|very] (sorry|apologies)", "(sorry|apologies) (again|x)")
# British agreement: never a decline; alone it is asked about.
AGREEMENTS = _forms(
    "(no problem|not a problem|no probs|no prob|np|no worries|not a worry) [at all]", "(ok|okay|right ok)"
)
# Said like an answer but not one: asked about, never read as a yes or a no.
HOLDS = _forms(
    "[i] (cant|cannot) (wait|complain|believe it)",
    "[im|i am] not sure [yet]",
    "(dunno|let me check|let me see|ill check|i will check|will check|ill let you know|will let you know)",
    "[ill|i will] get back to you",
    "(maybe|possibly|probably|perhaps|hopefully|i think so|think so|should be ok|should be fine)",
)

GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "morning", "afternoon", "evening", "dear", "good"})
SIGN_OFFS = frozenset({"x", "xx", "xxx", "thx", "cheers", "thanks"})
# Words that make a clause read like an answer: one that is not a phrase above is asked
# about, never guessed.
ANSWER_CUES = _phrases(
    """
    y | yes | ye | yeah | yep | yup | yea | ok | okay | sure | accept | accepted | book | booked |
    fine | happy | confirm | definitely | absolutely | maybe | perhaps | possibly | probably |
    might | could | would | if | but | only | unless | until | till | depends | unsure | later |
    tomorrow | no | n | nope | nah | not | cant | cannot | unable | decline | declined | sorry |
    busy | pass | unfortunately | afraid | problem | worries | free | available | away |
    instead | rather | except | earlier | start | finish
    """
)
# Words a reason given with a no may not hold: they would make it a condition or a counter-offer.
CONDITIONS = _word_set(
    "yes yeah yep ok okay sure can could would will ill if unless but only maybe perhaps possibly "
    "probably might instead rather except however though although happy free available book "
    "accept or depends prefer"
)
# What a reason beside a no is about: where they are, what they are doing, when.
REASON_CUES = _word_set(
    """away holiday holidays leave working work busy booked course childcare kids children child
    ill sick unwell appointment appointments commitments commitment clinic practice surgery far
    elsewhere plans abroad wedding funeral off shift locum teaching training meeting hospital
    school nursery family week day morning afternoon evening monday tuesday wednesday thursday
    friday saturday sunday tomorrow today till until back then there already other own another
    on at"""
)
# Emoji that are answers, and the rest, which decorate.
THUMBS_UP, THUMBS_DOWN = "\U0001f44d", "\U0001f44e"
SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f]")
OTHER_NODS = frozenset(["👌", "🙏", "✅", "😊", "🙂", "☺", "😀", "😁", "🙌", "❤", "💪", "👏", "🤞", "😃"])
# Phone reactions that arrive as text: iMessage's 'Liked "…"', Android's 'Reacted 👍 to "…"'.
QUOTE = "\"“”'‘’«"
REACTION = re.compile(
    rf"^(liked|disliked|loved|laughed at|emphasized|emphasised|questioned)\s+[{QUOTE}](?P<quoted>.*?)[{QUOTE}]?\s*$",
    re.DOTALL,
)
ANDROID_REACTION = re.compile(
    rf"^reacted\s+(?P<emoji>\S+)\s+to\s+[{QUOTE}](?P<quoted>.*?)[{QUOTE}]?\s*$", re.DOTALL
)
# Stretched and mistyped forms of the words that matter most.
CANONICAL = {
    "yess": "yes", "yse": "yes", "ues": "yes", "yws": "yes", "ys": "yes", "yeas": "yes", "yas": "yes",
    "yees": "yes", "yesh": "yes", "yea": "yeah", "yeh": "yeah", "yh": "yeah", "yeap": "yep",
    "noo": "no", "nop": "nope", "nah": "nah", "naa": "nah", "thx": "thanks", "thnx": "thanks",
    "thanx": "thanks", "thks": "thanks", "tks": "thanks", "ta": "ta", "pls": "please", "plz": "please",
    "plse": "please", "pleae": "please", "okk": "ok", "okey": "okay", "oki": "ok", "k": "ok", "kk": "ok",
    "cnt": "cant", "cnat": "cant", "cannt": "cant", "avail": "available", "tmrw": "tomorrow",
    "tmr": "tomorrow", "u": "you", "thankyou": "thank you", "thankyo": "thank you",
}  # fmt: skip
STRETCHED = re.compile(r"([a-z])\1{2,}")

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
    "open": "OPEN",
    "sessions": "OPEN",
    "open sessions": "OPEN",
    "more": "MORE",
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
    "alerts": "ALERTS",
    "query": "QUERY",
    "miles": "MILES",
    "mileage": "MILES",
    "paid": "PAID",
    "whatsapp": "WHATSAPP",  # WHATSAPP asks to be messaged there; WHATSAPP YES confirms it
}
SESSION_CODE = re.compile(r"^[bcdfghjklmnpqrstvwxz]{4}$")  # as flows/shifts/offers.py makes them

KeywordName = Literal[
    "HELP",
    "OFFERS",
    "BOOKINGS",
    "OPEN",
    "MORE",
    "RESUME",
    "SETTINGS",
    "DROP",
    "PAUSE",
    "AVAILABLE",
    "STOP",
    "START",
    "WHATSAPP",
]


@dataclass(frozen=True, slots=True)
class Keyword:
    name: KeywordName
    argument: str = ""  # the rest of the message, normalised
    code: str | None = None
    rule: str = "keyword"


@dataclass(frozen=True, slots=True)
class Answer:
    value: Literal["yes", "no"]
    code: str | None = None
    more: tuple[str, ...] = ()  # further codes with the same answer: "YES 4821 5133"
    rule: str = "phrase"

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.code, *self.more) if self.code else ()


@dataclass(frozen=True, slots=True)
class Several:
    """Different answers to different codes: "YES 4821 NO 5133"."""

    answers: tuple[Answer, ...]
    rule: str = "several codes"


@dataclass(frozen=True, slots=True)
class Reaction:
    """A thumb (👍 yes, 👎 no), typed or sent by the phone as a reaction. It answers an offer
    only when exactly one is open and it is the last thing the bot sent the person; ``quoted``:
    the start of the message a phone reaction was to, when it says."""

    value: Literal["yes", "no"]
    quoted: str = ""
    rule: str = "thumb"


@dataclass(frozen=True, slots=True)
class Unclear:
    """Reads like an answer but is conditional, a question, or ambiguous: ask, change nothing."""

    code: str | None = None
    reason: Literal["question", "conditional", "code_only", "several_codes", "maybe_acknowledgement"] = (
        "conditional"
    )
    rule: str = "not clear"


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """'Thanks', 'great': understood, needs no answer."""

    rule: str = "pleasantry"


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    rule: str = "not understood"


@dataclass(frozen=True, slots=True)
class Hours:
    """Hours worked, as a GP types them: '4', '4.5 hrs', '4h30', '4 hours 30 mins', '4:30'."""

    hours: float
    code: str | None = None
    rule: str = "hours"


Parsed = Keyword | Answer | Several | Reaction | Unclear | Acknowledgement | NotUnderstood | Hours

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
        return NotUnderstood(rule="empty")
    reacted = _reaction(stripped)
    if reacted is not None:
        return reacted
    thumbs = _emoji_only(stripped)
    if thumbs is not None:
        return thumbs

    keyword = _keyword(stripped)
    if keyword is not None:
        return keyword

    codes = list(dict.fromkeys(CODE.findall(stripped)))
    if len(codes) > 1:
        return _several(stripped, codes)
    code = codes[0] if codes else None
    without_codes = " ".join(CODE.sub(" ", stripped).split())
    hours = _hours(without_codes)
    if hours is not None:
        return Hours(hours, code)
    if without_codes.strip(" .!") in {"ok", "okay", "k", "kk", "okey", "okk"} and not code:
        # With an offer open this could be a yes; with nothing open, a nod. The router decides.
        return Unclear(code, "maybe_acknowledgement", rule="ok")
    if "?" in stripped:
        cued = code or _cued(WORD.findall(without_codes))
        return Unclear(code, "question", rule="question") if cued else NotUnderstood(rule="question")
    return _clauses(without_codes, code)


def _clauses(text: str, code: str | None) -> Parsed:
    """The message clause by clause: a yes or a no stands only beside pleasantries (and, for a
    no, apologies and reasons); anything else that reads like an answer is asked about."""
    contrast = bool(re.search(r"\s(?:but)\s", f" {text} "))
    clauses = [c.strip() for c in CLAUSE_BREAK.split(text)]
    kinds: list[str] = []
    words_seen: list[str] = []
    for clause in clauses:
        words = _words(clause)
        if not words:
            if re.search(r"[^\W\d_]|\d", clause):  # a number, or letters not ours (cyrillic)
                kinds.append("other")
            continue
        words_seen.extend(words)
        kinds.append(_kind(words, has_digits=bool(OTHER_NUMBER.search(clause))))
    said = [k for k in kinds if k != "pleasantry"]
    # Asked back: "Do you want ...?" for what is not yet an answer; "I can only book it as
    # offered" for a condition or a counter-offer.
    if "hold" in said:
        return Unclear(code, "question", rule="not yet an answer")
    if "yes" in said and "no" in said:
        return Unclear(code, "question", rule="yes and no")
    if "yes" in said:
        if contrast or not set(said) <= {"yes", "agreement", "apology"}:
            return Unclear(code, "conditional", rule="yes beside a condition")
        return Answer("yes", code, rule="yes phrase")
    if "no" in said:
        if not set(said) <= {"no", "reason", "apology"}:
            return Unclear(code, "conditional", rule="no with a counter-offer")
        return Answer("no", code, rule="no phrase" if "reason" not in said else "no with a reason")
    if not said:
        if code:
            return Unclear(code, "code_only", rule="code alone")
        return Acknowledgement() if kinds else NotUnderstood()
    if set(said) <= {"agreement", "apology", "reason"} and set(said) & {"agreement", "apology"}:
        rule = "no problem alone" if "agreement" in said else "apology without a no"
        return Unclear(code, "question", rule=rule)
    if _cued(words_seen):
        conditional = any(w in CONDITIONS - {"yes", "yeah", "yep", "ok", "okay", "sure"} for w in words_seen)
        return Unclear(code, "conditional" if conditional else "question", rule="reads like an answer")
    if code and not words_seen:
        return Unclear(code, "code_only", rule="code alone")
    return NotUnderstood()


def _kind(words: list[str], has_digits: bool) -> str:
    """What one clause is: yes, no, pleasantry, agreement, apology, hold, reason or other."""
    phrase = " ".join(_trim(words))
    whole = " ".join(words)
    if not phrase or whole in PLEASANTRIES or phrase in PLEASANTRIES:
        return "pleasantry"
    if phrase in HOLDS or whole in HOLDS or any(h in HOLDS for h in _ngrams(words, 2)):
        return "hold"
    if not has_digits:
        found = _phrase_kind(phrase)
        if found is not None:
            return found
        # An answer and a pleasantry in one breath: "yes see you there", "off sick sorry".
        trimmed = phrase.split()
        for cut in range(1, len(trimmed)):
            head, tail = " ".join(trimmed[:cut]), " ".join(trimmed[cut:])
            for answer, extra in ((head, tail), (tail, head)):
                kind = _phrase_kind(answer)
                if kind in ("yes", "no") and (extra in PLEASANTRIES or (kind == "no" and extra in APOLOGIES)):
                    return kind
    for n in range(min(len(words), 6), 0, -1):
        if " ".join(words[:n]) in NO_OPENERS and _reason(words[n:]):
            return "no"
    if _reason(words) and any(w in REASON_CUES for w in words):
        return "reason"
    return "other"


def _phrase_kind(phrase: str) -> str | None:
    if phrase in YES_PHRASES:
        return "yes"
    if phrase in NO_PHRASES:
        return "no"
    if phrase in AGREEMENTS:
        return "agreement"
    if phrase in APOLOGIES:
        return "apology"
    return None


def _reason(words: list[str]) -> bool:
    """Words that can only be a reason given with a no: no condition, no yes, no offer."""
    return not any(w in CONDITIONS for w in words)


# "ill" is "I'll" once apostrophes go, except after these: "kids are ill", "I'm off ill".
SICK_BEFORE = frozenset({"are", "is", "am", "im", "been", "off", "feeling", "very", "so", "quite", "still"})


def _words(clause: str) -> list[str]:
    found: list[str] = []
    for word in WORD.findall(STRETCHED.sub(r"\1", clause)):
        if word == "ill" and found and found[-1] in SICK_BEFORE:
            word = "unwell"
        found.extend(CANONICAL.get(word, word).split())
    return found


def _ngrams(words: list[str], n: int) -> Iterable[str]:
    return (" ".join(words[i : i + n]) for i in range(len(words) - n + 1))


SEVERAL_FILLERS = frozenset(
    {"to", "and", "both", "please", "thanks", "thank", "you", "for", "x", "the", "ones"}
)
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "accept"})
NO_WORDS = frozenset({"no", "n", "nope", "decline"})


def _several(text: str, codes: list[str]) -> Parsed:
    """Answers naming several codes: 'yes 4821 5133', 'yes to 4821 and 5133', 'yes 4821 no
    5133', '4821 yes 5133 no'. Any other word makes it a question that changes nothing."""
    tokens: list[str] = []
    for token in re.findall(r"#?\d{4}|[a-z]+", text):
        if token[-1].isdigit():
            tokens.append(token.lstrip("#"))
            continue
        word = CANONICAL.get(STRETCHED.sub(r"\1", token), token)
        if word in YES_WORDS or word in NO_WORDS:
            tokens.append("yes" if word in YES_WORDS else "no")
        elif word not in SEVERAL_FILLERS:
            return Unclear(None, "several_codes", rule="several codes")
    values = [t for t in tokens if t in ("yes", "no")]
    named = [t for t in tokens if t not in ("yes", "no")]
    if not values:
        return Unclear(None, "several_codes", rule="codes alone")
    if len(set(values)) == 1:
        return Answer(values[0], named[0], tuple(named[1:]), rule="several codes")  # type: ignore[arg-type]
    groups: list[tuple[str, list[str]]] = []
    if tokens[0] in ("yes", "no"):  # 'yes 4821 no 5133'
        for token in tokens:
            if token in ("yes", "no"):
                groups.append((token, []))
            else:
                groups[-1][1].append(token)
    else:  # '4821 yes 5133 no'
        pending: list[str] = []
        for token in tokens:
            if token in ("yes", "no"):
                groups.append((token, pending))
                pending = []
            else:
                pending.append(token)
        if pending:
            return Unclear(None, "several_codes", rule="several codes")
    if any(not found for _, found in groups):
        return Unclear(None, "several_codes", rule="several codes")
    return Several(tuple(Answer(v, c[0], tuple(c[1:]), rule="several codes") for v, c in groups))  # type: ignore[arg-type]


def _reaction(text: str) -> Parsed | None:
    """A reaction the phone sent as text: Liked/Disliked read as 👍/👎, others are asked about."""
    found = REACTION.match(text)
    if found is not None:
        verb, quoted = found[1], found["quoted"]
        if verb == "liked":
            return Reaction("yes", _quoted(quoted), rule="reaction liked")
        if verb == "disliked":
            return Reaction("no", _quoted(quoted), rule="reaction disliked")
        return Unclear(None, "maybe_acknowledgement", rule=f"reaction {verb}")
    found = ANDROID_REACTION.match(text)
    if found is not None:
        thumb = _emoji_only(found["emoji"])
        if isinstance(thumb, Reaction):
            return Reaction(thumb.value, _quoted(found["quoted"]), rule="reaction emoji")
        return Unclear(None, "maybe_acknowledgement", rule="reaction emoji")
    return None


def _quoted(text: str) -> str:
    return text.rstrip("…. ").rstrip(QUOTE).rstrip("…. ")


def _emoji_only(text: str) -> Parsed | None:
    """A message of emoji alone: thumbs up (any skin tone) or down, or a nod to ask about."""
    bare = SKIN_TONES.sub("", text).replace(" ", "")
    if not bare or any(unicodedata.category(ch)[0] in "LN" for ch in bare):
        return None
    if not all(unicodedata.category(ch) in ("So", "Sk", "Cf", "Mn") or ch in OTHER_NODS for ch in bare):
        return None
    up, down = THUMBS_UP in bare, THUMBS_DOWN in bare
    if up and not down:
        return Reaction("yes", rule="thumbs up")
    if down and not up:
        return Reaction("no", rule="thumbs down")
    return Unclear(None, "maybe_acknowledgement", rule="emoji")


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
        return Keyword("URGENT", rest.strip().upper())  # type: ignore[arg-type]  # a re-broadcast
    if first in ("miles", "mileage") and not re.match(r"\d", rest.strip()):
        return None  # "Miles here, yes please": a name, not a claim (MILES 12 4821 is)
    if first == "paid" and not re.fullmatch(r"#?\d{3,}-\d{4}", rest.strip()):
        return None  # "paid parking?": not an invoice number (PAID 012-0003 is)
    if first == "query" and rest.strip() and not CODE.search(rest):
        return None  # "query about parking": a question for the coordinators, not a dispute
    if first in ARGUMENT_KEYWORDS:
        codes = CODE.findall(rest)
        return Keyword(
            ARGUMENT_KEYWORDS[first],  # type: ignore[arg-type]
            rest.strip(),
            codes[0] if len(codes) == 1 else None,
        )
    return None


OK_WORDS = frozenset(
    {"ok", "okay", "okey", "okk", "k", "kk", "thanks", "thank", "you", "ta", "confirmed", "fine"}
)


def reads_ok(text: str) -> bool:
    """'OK 4821', 'ok thanks 4821', 'Okay.': an OK (with a code or not) and nothing more."""
    words = WORD.findall(CODE.sub(" ", normalise(text)))
    return bool(words) and words[0] in {"ok", "okay", "okey", "okk", "k", "kk"} and set(words) <= OK_WORDS


def _cued(words: list[str]) -> bool:
    return any(word in ANSWER_CUES for word in words)


def _trim(words: list[str]) -> list[str]:
    """Drop a greeting in front and a sign-off behind: 'Hi yes please x' reads 'yes please'."""
    start, end = 0, len(words)
    while start < end and words[start] in GREETINGS:
        start += 1
    while end > start and words[end - 1] in SIGN_OFFS:
        end -= 1
    if end - start >= 2 and " ".join(words[end - 2 : end]) in ("thank you", "many thanks"):
        end -= 2
    return words[start:end]


# -- check-in scores ---------------------------------------------------------------------------

# A score is a standalone 1 to 5: not part of a date (3/12), an ordinal (2nd), a time (2pm,
# 3:30), money (£3), hours (2 hrs), a range (2-3) or a decimal; "3/5" is a score out of five.
SCORE = re.compile(
    r"(?<![\d£$€/:.,\-])(?<!or )(?<!to )(?<!- )(?P<n>[1-5])(?:/5|\s*out of\s*5)?(?!\d|[:.,]\d|/\d|\s*(?:st|nd|rd|th|am|pm|h|hr|hrs|hours?|mins?|minutes?|p|%|-\s*\d|to\s*\d|or\s*\d)\b)",
)


def score_token(text: str) -> int | None:
    """The check-in score a message holds ('2 tbh. rough week', '3/5 ok', 'about a 4',
    '2. Knackered'), or None when it holds none or more than one."""
    plain = normalise(text)
    found = {int(m["n"]) for m in SCORE.finditer(plain)}
    return found.pop() if len(found) == 1 else None
