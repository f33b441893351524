"""WhatsApp's 24-hour window as the engine queues a message (issue 27).

A message to a member on WhatsApp goes free-form within 24 hours of their last message there.
Outside it, only a Meta-approved template can go: a message whose kind has one (an offer, a
filled or withdrawn notice, a reminder... config/whatsapp_templates.toml) goes as it, with its
values (``Outbound.variables``; the member's first name filled in here); a batch of offers goes
as one template an offer (``Outbound.parts``). Anything else, a template not approved yet (no
sid), or a message that carries no values, goes by the member's other channel at once. A
free-form message with no template at all is held for the person's next WhatsApp message (which
opens the window) and, after HOLD (24 hours) without one, goes by their other channel.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from bot.domain import Member, Outbound
from bot.ports import QueuedMessage, TemplateSend
from bot.reach import reach

log = logging.getLogger(__name__)

HELD = "held"  # a free-form message waiting for the person's next WhatsApp message
HOLD = timedelta(hours=24)  # then it goes by their other channel
# About WhatsApp itself (its confirmation): tried on WhatsApp or not at all, never elsewhere.
WHATSAPP_ONLY = frozenset({"whatsapp_confirm"})
TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame"})
_logged: set[str] = set()  # what was said once in this process


class Template(Protocol):
    """A WhatsApp template as the engine needs it (config.whatsapp_templates.WhatsAppTemplate)."""

    @property
    def sid(self) -> str: ...

    @property
    def variables(self) -> tuple[str, ...]: ...

    @property
    def approved(self) -> bool: ...


def template_of(out: Outbound) -> str:
    """Which template a message may go as: the one its values name ("template"), else its
    kind's (a withdrawn offer's notice is "filled" or "withdrawn" by why)."""
    return dict(out.variables).get("template", out.kind)


def first_name(name: str) -> str:
    """'Dr Zoë O’Neill' → 'Zoë': how a template greets them."""
    words = name.split()
    for word in words:
        if word.rstrip(".").lower() not in TITLES:
            return word
    return name.strip()


def numbered(template: Template, values: Mapping[str, str]) -> tuple[tuple[str, str], ...] | None:
    """The template's {{1}}, {{2}}... from values by name; None when one is missing."""
    try:
        return tuple((str(n), values[name]) for n, name in enumerate(template.variables, start=1))
    except KeyError:
        return None


def outside_window(
    out: Outbound,
    row: QueuedMessage,
    person: Member | None,
    templates: Mapping[str, Template],
    channels_on: Collection[str],
) -> list[QueuedMessage]:
    """The rows for ``out``, routed to ``row`` on WhatsApp, when the member's window is closed."""
    template = templates.get(template_of(out))
    if template is not None and template.approved:
        rows = []
        for piece in out.parts or (out,):
            values = dict(piece.variables)
            if person is not None:
                values.setdefault("first name", first_name(person.name))
            variables = numbered(template, values) if piece.variables else None
            if variables is None:
                _once(
                    f"values:{out.kind}",
                    "WhatsApp: a %s message carries no values for its template; outside the 24-hour "
                    "window it goes by the member's other channel",
                    out.kind,
                )
                break
            rows.append(
                replace(
                    row, body=piece.text, choices=piece.choices, topic=piece.topic,
                    variables=piece.variables, template=TemplateSend(template.sid, variables),
                )
            )  # fmt: skip
        else:
            return rows
    elif template is not None:
        _once(
            f"sid:{out.kind}",
            "WhatsApp: the %s template is not approved yet (no sid in config/whatsapp_templates.toml): "
            "outside the 24-hour window it goes by the member's other channel",
            out.kind,
        )
    if out.kind in WHATSAPP_ONLY:
        if out.window_closed:  # WhatsApp refused it free-form (63016): never again, nowhere else
            return [replace(row, status="failed", error="outside WhatsApp's window and no approved template")]
        return [row]  # free-form: WhatsApp may refuse it (63016), and nothing else is tried
    if template is None and not out.window_closed:
        # Held for their next WhatsApp message (which opens the window), and by their other
        # channel after HOLD if none comes (flows/people/whatsapp.py).
        return [replace(row, status=HELD)]
    return [elsewhere(row, person, channels_on)]


def elsewhere(row: QueuedMessage, person: Member | None, channels_on: Collection[str]) -> QueuedMessage:
    """``row`` by the member's other channel (reach without WhatsApp)."""
    found = reach(person, [c for c in channels_on if c != "whatsapp"]) if person is not None else None
    if found is None:
        return replace(
            row, status="failed", error="outside WhatsApp's 24-hour window and no other channel reaches them"
        )
    channel, address = found
    return replace(row, channel=channel, address=address, variables=(), template=None)


def _once(key: str, message: str, *args: object) -> None:
    if key not in _logged:
        _logged.add(key)
        log.warning(message, *args)
