"""CSV imports in DESIGN.md's columns: practices, members, checks, sessions.

An import is all or nothing: every row is checked first and every bad row reported with its
line number and reason; only a clean file is written, in one transaction. Importing the same
file twice changes nothing the second time (members are keyed by phone, practices by ODS
code, checks by member and kind, sessions by practice and times).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from bot import spreadsheet
from bot.calendar import weeks_later
from bot.clock import LONDON
from bot.commands import ImportCsv, PostSession, SavePractice
from bot.domain import (
    CHANNELS,
    CHECK_KINDS,
    CLINICIAN,
    DAY_NAMES,
    ENGAGEMENTS,
    GP_TYPES,
    INVOICE_BY,
    Member,
    Practice,
    default_engagement,
    role_named,
)
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.phones import to_e164
from bot.professions import GP, Professions
from flows.conversation.messages import render
from flows.desk import alerts
from flows.people import roles
from flows.shifts import offers

PRACTICE_COLUMNS = ("ods_code", "name", "pcn", "locality", "address", "clinical_system", "info_pack", "phone")
MEMBER_COLUMNS = (
    "name", "phone", "email", "roles", "gp_type", "registration_number", "preferred_channel",
    "slack_user_id", "telegram_chat_id", "localities", "practices", "days",
    "max_sessions_per_week", "contracted_sessions_per_week", "profession", "level", "alerts", "left_on",
    "engagement", "pension_sd_number", "pension_tier", "invoice_by",
)  # fmt: skip
CHECK_COLUMNS = ("phone", "check", "expires")
SESSION_COLUMNS = ("practice", "start", "end", "rate_pence", "urgent", "notes", "repeat_weeks", "professions")
REQUIRED = {
    "practices": ("ods_code", "name"),
    "members": ("name", "phone"),
    "checks": ("phone", "check", "expires"),
    "sessions": ("practice", "start", "end", "rate_pence"),
}
ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DAY_ENTRY = re.compile(rf"^({'|'.join(DAY_NAMES)})(-(am|pm))?$")
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0", ""}
MAX_REPEAT_WEEKS = offers.MAX_REPEAT_WEEKS
# Longest values that still let every text about them fit two SMS segments.
MAX_PRACTICE_NAME = 48
MAX_LOCALITY = 24
MAX_ADDRESS = 80
MAX_INFO_PACK = 230
MAX_CLINICAL_SYSTEM = 24
PRACTICE_LIMITS = {
    "name": MAX_PRACTICE_NAME,
    "locality": MAX_LOCALITY,
    "address": MAX_ADDRESS,
    "info_pack": MAX_INFO_PACK,
    "clinical_system": MAX_CLINICAL_SYSTEM,
}
MAX_NAME = 40

Rows = list[tuple[int, dict[str, str]]]  # (line number in the file, values by column)
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportRefused(Refused):
    """The file has bad rows; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing was imported.")
        self.errors = errors


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def read_csv(kind: str, text: str) -> Rows:
    """The rows of a CSV file's text, each with its line number. Refuses, naming the lines, a
    header that is not this kind's or rows with more values than the header (an unquoted comma
    would otherwise shift every value after it into the wrong column)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    _refuse_if(check_header(kind, reader.fieldnames))
    rows: Rows = []
    errors: list[RowError] = []
    for row in reader:
        extra = row.pop(None, None)  # type: ignore[call-overload]
        if extra:
            errors.append(
                RowError(reader.line_num, f"{len(extra)} more value(s) than the header has columns")
            )
        # A cell an export made safe for spreadsheets ('=...) reads back as it was.
        rows.append((reader.line_num, {k: spreadsheet.plain_cell(v or "") for k, v in row.items()}))
    _refuse_if(errors)
    return rows


def check_header(kind: str, header: Iterable[str]) -> list[RowError]:
    columns = {
        "practices": PRACTICE_COLUMNS,
        "members": MEMBER_COLUMNS,
        "checks": CHECK_COLUMNS,
        "sessions": SESSION_COLUMNS,
    }[kind]
    present = [h.strip() for h in header]
    errors = [RowError(1, f"unknown column '{h}'") for h in present if h not in columns]
    errors += [RowError(1, f"missing column '{c}'") for c in REQUIRED[kind] if c not in present]
    return errors


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _whole(value: str, name: str, low: int, high: int) -> int | None:
    if not value.strip():
        return None
    if not (value.strip().isascii() and value.strip().isdigit()) or not low <= int(value) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return int(value)


def _when(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name} '{value}' is not an ISO date and time like 2026-12-03T08:30") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=LONDON)).astimezone(LONDON)


def _refuse_if(errors: list[RowError]) -> None:
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e.line))


def _ticker(progress: Progress | None) -> Progress:
    return progress or (lambda _: None)


# -- practices --------------------------------------------------------------------------------


async def import_practices(turn: Turn, rows: Rows, progress: Progress | None = None) -> ImportResult:
    roles.require_coordinator(await roles.actor(turn, turn.by))
    tick, errors, seen, parsed = _ticker(progress), [], {}, []
    for line, row in rows:
        ods = row.get("ods_code", "").strip().upper()
        if not ODS_CODE.match(ods):
            errors.append(RowError(line, f"ods_code '{row.get('ods_code', '')}' is not an ODS code"))
        elif ods in seen:
            errors.append(RowError(line, f"ODS code {ods} is also on line {seen[ods]}"))
        if not row.get("name", "").strip():
            errors.append(RowError(line, "name is empty"))
        for column, limit in PRACTICE_LIMITS.items():
            if len(row.get(column, "").strip()) > limit:
                errors.append(RowError(line, f"{column} is longer than {limit} characters (it goes by text)"))
        seen.setdefault(ods, line)
        # Only the file's own columns: a file of codes and names leaves addresses alone.
        fields = {c: row[c].strip() for c in PRACTICE_COLUMNS if c in row and c != "ods_code"}
        if fields.get("phone"):
            try:
                fields["phone"] = to_e164(fields["phone"])
            except ValueError as error:
                errors.append(RowError(line, f"phone '{row['phone'].strip()}' is {error}"))
        parsed.append((ods, fields))
    _refuse_if(errors)
    result = ImportResult()
    for ods, fields in parsed:
        existing = await turn.uow.practices.practice(ods)
        practice = replace(existing, **fields) if existing else Practice(ods_code=ods, **fields)
        if existing == practice:
            result.unchanged += 1
        else:
            await turn.uow.practices.add_practice(practice)
            result.updated += existing is not None
            result.added += existing is None
        tick(1)
    await turn.audit("imported", "practices", "csv", added=result.added, updated=result.updated)
    return result


async def save_practice(turn: Turn, command: SavePractice) -> Practice:
    """One practice, through the import's own checks (the API's PUT /api/practices/{ods})."""
    row = {"ods_code": command.ods_code, **dict(command.fields)}
    if "name" not in row:
        existing = await turn.uow.practices.practice(command.ods_code.strip().upper())
        row["name"] = existing.name if existing else ""
    try:
        await import_practices(turn, [(1, row)])
    except ImportRefused as refusal:
        reason = refusal.errors[0].reason
        column = next((c for c in PRACTICE_COLUMNS if reason.startswith(c)), "")
        raise Refused(reason[0].upper() + reason[1:] + ".", field=column) from None
    saved = await turn.uow.practices.practice(command.ods_code.strip().upper())
    assert saved is not None
    return saved


def register(engine: Engine) -> None:
    engine.on_command(SavePractice, save_practice)
    engine.on_command(ImportCsv, import_csv)


async def import_csv(turn: Turn, command: ImportCsv) -> ImportResult:
    do = {
        "practices": import_practices,
        "members": import_members,
        "checks": import_checks,
        "sessions": import_sessions,
    }.get(command.kind)
    if do is None:
        raise Refused("Choose practices, members, checks or sessions.", field="kind")
    turn.by = command.by
    return await do(turn, read_csv(command.kind, command.text))


# -- members ----------------------------------------------------------------------------------


async def import_members(turn: Turn, rows: Rows, progress: Progress | None = None) -> ImportResult:
    roles.require_coordinator(await roles.actor(turn, turn.by))
    tick, errors = _ticker(progress), []
    known_practices = {p.ods_code for p in await turn.uow.practices.all()}
    professions = turn.policy.professions
    phones: dict[str, int] = {}
    parsed: list[tuple[int, str, dict[str, object]]] = []
    for line, row in rows:
        try:
            phone, fields = _member_fields(row, known_practices, professions)
            existing = await turn.uow.members.member_by_phone(phone)
            _check_profession_fields(fields, existing, professions)
        except ValueError as error:
            errors.append(RowError(line, str(error)))
            continue
        if phone in phones:
            errors.append(RowError(line, f"phone {phone} is also on line {phones[phone]}"))
            continue
        phones[phone] = line
        parsed.append((line, phone, fields))
    linked: dict[tuple[str, str], int] = {}
    for line, phone, fields in parsed:  # links to Slack and Telegram belong to one member each
        for column, channel in (("slack_user_id", "slack"), ("telegram_chat_id", "telegram")):
            value = fields.get(column)
            if value and (column, str(value)) in linked:
                errors.append(
                    RowError(line, f"{column} {value} is also on line {linked[column, str(value)]}")
                )
                continue
            if value:
                linked[column, str(value)] = line
                holder = await turn.uow.members.member_by_address(channel, str(value))
                if holder is not None and holder.phone != phone:
                    errors.append(RowError(line, f"{column} {value} already belongs to {holder.name}"))
    _refuse_if(errors)
    result = ImportResult()
    for _, phone, fields in parsed:
        existing = await turn.uow.members.member_by_phone(phone)
        if existing is None:
            member = await turn.uow.members.add_member(
                Member(id=0, name=str(fields["name"]), phone=phone), turn.now
            )
            member = await turn.uow.members.update_member(member.id, **fields)
            if not fields.get("engagement"):  # not given: by the rule, from who they turned out to be
                engagement = default_engagement(member.is_clinician, member.profession, member.gp_type)
                await turn.uow.members.update_member(member.id, engagement=engagement)
            result.added += 1
        else:
            changed = {k: v for k, v in fields.items() if _member_value(existing, k) != v}
            if changed:
                await turn.uow.members.update_member(existing.id, **changed)
                result.updated += 1
            else:
                result.unchanged += 1
        tick(1)
    await turn.audit("imported", "members", "csv", added=result.added, updated=result.updated)
    return result


def _member_value(member: Member, name: str) -> object:
    value = getattr(member, name)
    return list(value) if isinstance(value, tuple) else value


def _member_fields(
    row: dict[str, str], known_practices: set[str], professions: Professions
) -> tuple[str, dict[str, object]]:
    """The fields a row sets (only its file's columns), checked; ValueError with the reason."""
    present = set(row)
    get = lambda column: (row.get(column) or "").strip()  # noqa: E731
    name = get("name")
    if not name:
        raise ValueError("name is empty")
    if len(name) > MAX_NAME:
        raise ValueError(f"name is longer than {MAX_NAME} characters (it goes by text)")
    try:
        phone = to_e164(get("phone"))
    except ValueError as error:
        raise ValueError(f"phone '{get('phone')}' is {error}") from None
    fields: dict[str, object] = {"name": name}
    if "engagement" in present and get("engagement"):
        if get("engagement").lower() not in ENGAGEMENTS:
            raise ValueError(f"engagement '{get('engagement')}' is not one of {', '.join(ENGAGEMENTS)}")
        fields["engagement"] = get("engagement").lower()
    if "pension_sd_number" in present:
        number = get("pension_sd_number").replace(" ", "")
        if number and not (number.isascii() and number.isdigit() and len(number) == 8):
            raise ValueError(f"pension_sd_number '{get('pension_sd_number')}' is not 8 digits")
        fields["pension_sd_number"] = number or None
    if "pension_tier" in present:
        tier = get("pension_tier")
        if tier and tier not in ("1", "2", "3", "4", "5", "6"):
            raise ValueError(f"pension_tier '{tier}' is not a tier from 1 to 6")
        fields["pension_tier"] = int(tier) if tier else None
    if "invoice_by" in present and get("invoice_by"):
        if get("invoice_by").lower() not in INVOICE_BY:
            raise ValueError(f"invoice_by '{get('invoice_by')}' is not one of {', '.join(INVOICE_BY)}")
        fields["invoice_by"] = get("invoice_by").lower()
    if "left_on" in present:
        try:
            fields["left_on"] = date.fromisoformat(get("left_on")) if get("left_on") else None
        except ValueError:
            raise ValueError(f"left_on '{get('left_on')}' is not a date like 2027-03-31") from None
    if "email" in present:
        if get("email") and not EMAIL.match(get("email")):
            raise ValueError(f"email '{get('email')}' is not an email address")
        fields["email"] = get("email") or None
    if "roles" in present:
        role_list = [role_named(r) for r in _split(get("roles"))] or [CLINICIAN]
        for role in role_list:
            if not roles.valid_role(role):
                known = "clinician (or gp), coordinator, practice:<ODS>, lead, mentor"
                raise ValueError(f"role '{role}' is not one of {known}")
            if role.startswith("practice:") and role.split(":", 1)[1] not in known_practices:
                raise ValueError(f"role {role} names a practice that is not in the pool")
        fields["roles"] = set(role_list)
    if "profession" in present:
        profession = get("profession").lower() or GP
        if profession not in professions:
            raise ValueError(f"profession '{get('profession')}' is not one of {', '.join(professions.keys)}")
        fields["profession"] = profession
    if "level" in present:
        fields["level"] = get("level").lower() or None
    if "gp_type" in present:
        if get("gp_type") and get("gp_type").lower() not in GP_TYPES:
            raise ValueError(f"gp_type '{get('gp_type')}' is not one of {', '.join(GP_TYPES)}")
        fields["gp_type"] = get("gp_type").lower() or None
    if "registration_number" in present:
        fields["registration_number"] = get("registration_number").upper() or None
    if "preferred_channel" in present:
        channel = get("preferred_channel").lower() or "sms"
        if channel not in CHANNELS:
            raise ValueError(f"preferred_channel '{channel}' is not one of {', '.join(CHANNELS)}")
        fields["preferred_channel"] = channel
    if "slack_user_id" in present:
        fields["slack_user_id"] = get("slack_user_id") or None
    if "telegram_chat_id" in present:
        chat = get("telegram_chat_id")
        if chat and not re.match(r"^-?\d+$", chat):
            raise ValueError(f"telegram_chat_id '{chat}' is not a Telegram chat id (a number)")
        fields["telegram_chat_id"] = chat or None
    if "localities" in present:
        fields["localities"] = _split(get("localities"))
    if "practices" in present:
        codes = [code.upper() for code in _split(get("practices"))]
        unknown = [code for code in codes if code not in known_practices]
        if unknown:
            raise ValueError(f"practices {', '.join(unknown)} are not in the pool")
        fields["practices"] = codes
    if "days" in present:
        days = [d.lower() for d in _split(get("days"))]
        bad = [d for d in days if not DAY_ENTRY.match(d)]
        if bad:
            raise ValueError(f"days '{', '.join(bad)}' are not like mon, tue-am or fri-pm")
        fields["days"] = days
    if "max_sessions_per_week" in present:
        fields["max_sessions_per_week"] = _whole(get("max_sessions_per_week"), "max_sessions_per_week", 0, 14)
    if "contracted_sessions_per_week" in present:
        contracted = _whole(get("contracted_sessions_per_week"), "contracted_sessions_per_week", 0, 14)
        fields["contracted_sessions_per_week"] = contracted or 0
    if "alerts" in present:
        try:
            fields["alerts"] = alerts.parse(get("alerts") or alerts.NOW)
        except ValueError as error:
            raise ValueError(f"alerts '{get('alerts')}': {error}") from None
    return phone, fields


def _check_profession_fields(
    fields: dict[str, object], existing: Member | None, professions: Professions
) -> None:
    """What depends on the profession: the registration number's shape, a GP type for GPs
    only, a level the profession has. The profession is the row's, else the member's own."""
    key = str(fields.get("profession") or (existing.profession if existing else GP))
    profession = professions[key] if key in professions else professions[GP]
    number = fields.get("registration_number", existing.registration_number if existing else None)
    if number and "registration_number" in fields:
        number = fields["registration_number"] = profession.tidy_number(str(number))
    if (
        ("registration_number" in fields or "profession" in fields)
        and number
        and not profession.number_fits(str(number))
    ):
        body = f"{profession.regulator} " if profession.regulator else ""
        raise ValueError(
            f"registration_number '{number}' is not a {body}number for a {profession.name} "
            f"({profession.number_hint})"
        )
    gp_type = fields.get("gp_type", existing.gp_type if existing else None)
    if gp_type and key != GP:
        raise ValueError(f"gp_type is for GPs only, and this member is a {profession.name}")
    level = fields.get("level", existing.level if existing else None)
    if level and level not in profession.levels:
        have = ", ".join(profession.levels) or "none"
        raise ValueError(f"level '{level}' is not a level of {profession.name} (levels: {have})")


# -- checks -----------------------------------------------------------------------------------


async def import_checks(turn: Turn, rows: Rows, progress: Progress | None = None) -> ImportResult:
    roles.require_coordinator(await roles.actor(turn, turn.by))
    tick, errors, seen = _ticker(progress), [], {}
    parsed: list[tuple[int, str, date | None]] = []
    for line, row in rows:
        try:
            phone = to_e164(row.get("phone", "").strip())
        except ValueError as error:
            errors.append(RowError(line, f"phone '{row.get('phone', '')}' is {error}"))
            continue
        member = await turn.uow.members.member_by_phone(phone)
        kind = row.get("check", "").strip().lower()
        expires_text = row.get("expires", "").strip()
        if member is None:
            errors.append(RowError(line, f"no member has the phone {phone}"))
        elif kind not in CHECK_KINDS:
            errors.append(RowError(line, f"check '{kind}' is not one of {', '.join(CHECK_KINDS)}"))
        elif member.profession in turn.policy.professions and (
            kind not in (profession := turn.policy.professions[member.profession]).check_names()
        ):
            needs = ", ".join(c.replace("|", " or ") for c in profession.checks)
            errors.append(
                RowError(line, f"check '{kind}' is not one a {profession.name} needs (they need {needs})")
            )
        elif (member.id, kind) in seen:
            errors.append(RowError(line, f"the same check is also on line {seen[member.id, kind]}"))
        else:
            try:
                expires = date.fromisoformat(expires_text) if expires_text else None
            except ValueError:
                errors.append(RowError(line, f"expires '{expires_text}' is not a date like 2027-03-31"))
                continue
            seen[member.id, kind] = line
            parsed.append((member.id, kind, expires))
    _refuse_if(errors)
    result = ImportResult()
    for member_id, kind, expires in parsed:
        current = await turn.uow.members.checks_of(member_id)
        if kind in current and current[kind] == expires:
            result.unchanged += 1
        else:
            await turn.uow.members.set_check(member_id, kind, expires)
            # In the check's history too: from an import, by whoever imported it, evidence unseen.
            await turn.uow.evidence.record_check(
                member_id, kind, expires, None, turn.by, "import", None, turn.now
            )
            result.updated += kind in current
            result.added += kind not in current
        tick(1)
    await turn.audit("imported", "checks", "csv", added=result.added, updated=result.updated)
    return result


# -- sessions ---------------------------------------------------------------------------------


async def import_sessions(turn: Turn, rows: Rows, progress: Progress | None = None) -> ImportResult:
    """Sessions in bulk; ``repeat_weeks`` N posts it N weeks running (empty or 1: once).
    Each new session is posted as by hand: its offers go out, waves and all."""
    by = await roles.actor(turn, turn.by)
    tick, errors = _ticker(progress), []
    planned: list[tuple[int, PostSession]] = []
    for line, row in rows:
        try:
            planned.extend((line, command) for command in await _session_commands(turn, row, turn.by))
        except ValueError as error:
            errors.append(RowError(line, str(error)))
        except Refused as refusal:
            errors.append(RowError(line, refusal.message))
    slots: dict[tuple[str, datetime], int] = {}
    for line, command in planned:
        key = (command.practice, command.starts_at)
        if key in slots and slots[key] != line:
            errors.append(RowError(line, f"the same session is also on line {slots[key]}"))
        slots.setdefault(key, line)
    _refuse_if(errors)
    result = ImportResult()
    held: list[datetime] = []
    for line, command in planned:
        existing = await turn.uow.sessions.session_by_slot(
            command.practice, command.starts_at, command.ends_at
        )
        if existing is not None:
            # Posted before (even if since cancelled): never posted twice, nor brought back.
            result.unchanged += 1
            differs = (existing.rate_pence, existing.urgent, existing.notes) != (
                command.rate_pence,
                command.urgent,
                command.notes,
            )
            if differs or existing.status == "cancelled":
                state = f"already posted ({existing.status})"
                result.notes.append(f"line {line}: session {existing.code} was {state}; left as it is")
        else:
            posted = await offers.post_session(turn, command)
            result.added += 1
            if posted.offers_from is not None:
                held.append(posted.offers_from)
        tick(1)
    if held:  # imported at night: the importer hears why nobody has the offers yet
        result.notes.append(render("offers_held", until=min(held)))
    turn.by = by.id if by else None
    await turn.audit("imported", "sessions", "csv", added=result.added)
    return result


async def _session_commands(turn: Turn, row: dict[str, str], by: int | None) -> list[PostSession]:
    get = lambda column: (row.get(column) or "").strip()  # noqa: E731
    ods = get("practice").upper()
    practice = await turn.uow.practices.practice(ods)
    if practice is None:
        raise ValueError(f"practice '{get('practice')}' is not in the pool")
    roles.require_manages(await roles.actor(turn, by), ods)
    start, end = _when(get("start"), "start"), _when(get("end"), "end")
    if end <= start:
        raise ValueError("end is not after start")
    if (end - start) > timedelta(hours=offers.MAX_SESSION_HOURS):
        raise ValueError(f"a session can be at most {offers.MAX_SESSION_HOURS} hours long")
    if start <= turn.now:
        raise ValueError("start has already passed")
    rate = _whole(get("rate_pence"), "rate_pence", 0, 10_000_000)
    if rate is None:
        raise ValueError("rate_pence is empty")
    urgent_word = get("urgent").lower()
    if urgent_word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(f"urgent '{get('urgent')}' is not true or false")
    repeat = _whole(get("repeat_weeks"), "repeat_weeks", 1, MAX_REPEAT_WEEKS) or 1
    notes = get("notes")
    if len(notes) > offers.MAX_NOTES:
        raise ValueError(f"notes are longer than {offers.MAX_NOTES} characters (they go by text)")
    wanted = tuple(p.lower() for p in _split(get("professions"))) or (GP,)
    offers.professions_and_pay(turn, wanted, rate)  # every row's reason, not only the first's
    return [
        PostSession(
            practice=ods,
            starts_at=weeks_later(start, week),
            ends_at=weeks_later(end, week),
            rate_pence=rate,
            urgent=urgent_word in TRUE_WORDS,
            notes=notes,
            posted_by=by,
            via="import",
            professions=wanted,
        )
        for week in range(repeat)
    ]
