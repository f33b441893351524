"""The WhatsApp templates of config/whatsapp_templates.toml: which approved template (its
``HX...`` sid) carries which message outside a member's 24-hour window, and WhatsApp's rules
for a template's body, checked before anyone submits one for approval."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

KINDS = (
    "offer", "filled", "withdrawn", "booking_reminder", "hours_prompt", "checkin", "check_expiry",
    "signin_link", "whatsapp_confirm",
)  # fmt: skip
VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
NAME = re.compile(r"[a-z0-9_]{1,512}")
CATEGORIES = frozenset({"UTILITY", "MARKETING", "AUTHENTICATION"})
MAX_BODY = 1024
MAX_BUTTONS = 3  # WhatsApp allows 10 on an approved template; 3 is all a session message may have
MAX_TITLE = 20
MAX_ID = 200


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    id: str  # Twilio posts it back as ButtonPayload: one of our choice values


@dataclass(frozen=True, slots=True)
class WhatsAppTemplate:
    kind: str  # which message it carries (KINDS)
    name: str
    category: str
    body: str
    variables: tuple[str, ...]  # what each {{n}} holds, in order
    buttons: tuple[Button, ...]
    sid: str  # HX...; "" until approved

    @property
    def approved(self) -> bool:
        return self.sid.startswith("HX")


def problems(template: WhatsAppTemplate) -> list[str]:
    """Where ``template`` breaks WhatsApp's rules (empty: it may be submitted)."""
    found: list[str] = []
    body = template.body
    numbers = [int(n) for n in VARIABLE.findall(body)]
    if not NAME.fullmatch(template.name):
        found.append("name: lowercase letters, digits and _ only")
    if template.category not in CATEGORIES:
        found.append(f"category {template.category!r} is not one of {sorted(CATEGORIES)}")
    if len(body) > MAX_BODY:
        found.append(f"body is {len(body)} characters (at most {MAX_BODY})")
    if sorted(set(numbers)) != list(range(1, len(set(numbers)) + 1)):
        found.append("variables must be numbered 1, 2, 3... without gaps")
    if len(set(numbers)) != len(template.variables):
        found.append("every variable needs a description in `variables`, and only those")
    if VARIABLE.match(body.strip()):
        found.append("the body starts with a variable")
    if re.search(r"\{\{\s*\d+\s*\}\}[\s.,;:!?)]*$", body):
        found.append("the body ends with a variable")
    if re.search(r"\}\}[\s.,;:!?()-]*\{\{", body):
        found.append("two variables side by side")
    words = len(VARIABLE.sub(" ", body).split())
    if words < 2 * len(numbers) + 1:
        found.append(f"{words} words for {len(numbers)} variables (at least {2 * len(numbers) + 1})")
    if "\n\n" in body or "     " in body:
        found.append("a blank line or more than four spaces in a row")
    if len(template.buttons) > MAX_BUTTONS:
        found.append(f"{len(template.buttons)} buttons (at most {MAX_BUTTONS})")
    for button in template.buttons:
        if not 0 < len(button.title) <= MAX_TITLE:
            found.append(f"button {button.title!r}: a title of 1 to {MAX_TITLE} characters")
        if not 0 < len(button.id) <= MAX_ID:
            found.append(f"button {button.title!r}: an id of 1 to {MAX_ID} characters")
        if any(int(n) not in numbers for n in VARIABLE.findall(button.id)):
            found.append(f"button {button.title!r}: its id uses a variable the body does not")
    if template.sid and not re.fullmatch(r"HX[0-9a-f]{32}", template.sid):
        found.append("sid: Twilio's HX followed by 32 hex digits, or empty until approved")
    return found


def parse_templates(text: str) -> dict[str, WhatsAppTemplate]:
    table = tomllib.loads(text)
    unknown = sorted(set(table) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown WhatsApp templates: {', '.join(unknown)} (known: {', '.join(KINDS)})")
    return {
        kind: WhatsAppTemplate(
            kind=kind,
            name=entry["name"],
            category=entry.get("category", "UTILITY"),
            body=entry["body"],
            variables=tuple(entry.get("variables", ())),
            buttons=tuple(Button(b["title"], b["id"]) for b in entry.get("buttons", ())),
            sid=entry.get("sid", ""),
        )
        for kind, entry in table.items()
    }


@cache
def load_whatsapp_templates() -> dict[str, WhatsAppTemplate]:
    text = (resources.files("config") / "whatsapp_templates.toml").read_text(encoding="utf-8")
    return parse_templates(text)


def for_approval(template: WhatsAppTemplate) -> str:
    """The template as a person submits it: name, category, body, what each variable holds, buttons."""
    lines = [
        f"{template.kind}: {template.name} ({template.category}, "
        + (f"approved: {template.sid})" if template.sid else "not yet approved)"),
        f"  body: {template.body}",
    ]
    lines += [f"  {{{{{n}}}}}: {what}" for n, what in enumerate(template.variables, start=1)]
    lines += [f"  button: {b.title!r} (id {b.id!r})" for b in template.buttons]
    return "\n".join(lines)
