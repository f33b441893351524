"""Block Kit for the Slack adapter: messages with their facts as fields and buttons, the App
Home, the post-a-session modal and the inbox. Pure functions from the core's shapes to the
JSON Slack takes; nothing here talks to Slack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.clock import LONDON
from bot.domain import Card, Choice, Overview, Practice
from bot.ports import InboxItem

Block = dict[str, Any]

# Slack's own limits: 10 fields a section, 3,000 characters a text, 75 a button or option label.
MAX_FIELDS = 10
MAX_TEXT = 3000
MAX_LABEL = 75
MAX_OPTIONS = 100
CHOICE_ACTION = "choice-{}"  # action_id of the n-th choice of a message


def escape(text: str) -> str:
    """Slack's mrkdwn takes &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)[:MAX_TEXT]}}


def _fields(details: Sequence[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": f"*{escape(label)}*\n{escape(value)}"[:2000]}
            for label, value in details[:MAX_FIELDS]
        ],
    }


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(text)[:MAX_TEXT]}]}


def _button(action_id: str, label: str, value: str) -> Block:
    return {"type": "button", "action_id": action_id, "text": _plain(label), "value": value}


def _buttons(choices: Sequence[Choice], block_id: str | None = None) -> Block:
    block: Block = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": CHOICE_ACTION.format(n),
                "text": _plain(choice.label),
                "value": choice.value,
                **({"style": "primary"} if n == 0 and len(choices) > 1 else {}),
            }
            for n, choice in enumerate(choices)
        ],
    }
    if block_id:
        block["block_id"] = block_id
    return block


def message_blocks(
    text: str, details: Sequence[tuple[str, str]] = (), choices: Sequence[Choice] = ()
) -> list[Block]:
    """A message: with facts, its headline, the facts as fields and (for an answer that came
    after) its last paragraph; then the buttons. Without facts, the text as it is."""
    if not details:
        blocks = [_section(text)]
    else:
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        blocks = [_section(text.splitlines()[0]), _fields(details)]
        if not choices and len(paragraphs) > 1:
            blocks.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(paragraphs[-1])}]}
            )
    if choices and any(c.group for c in choices):  # several things, each with its buttons
        groups: dict[str, list[Choice]] = {}
        for choice in choices:
            groups.setdefault(choice.group or "", []).append(choice)
        for n, (label, grouped) in enumerate(groups.items()):
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(label)}]})
            blocks.append(_buttons(grouped, block_id=f"group-{n}"))
    elif choices:
        blocks.append(_buttons(choices))
    return blocks


def _card(card: Card, n: int) -> list[Block]:
    blocks = message_blocks(card.text, card.details, ())
    if card.choices:
        blocks.append(_buttons(card.choices, block_id=f"card-{n}"))
    return blocks


def home_view(name: str, overview: Overview | None, pool_name: str) -> dict[str, Any]:
    """The App Home: upcoming bookings, then open offers with their buttons."""
    if overview is None:
        blocks = [
            _section(
                f"Welcome. You're not registered with {pool_name} yet: if you're a GP in the pool, "
                "ask your pool coordinator to add you."
            )
        ]
        return {"type": "home", "blocks": blocks}
    blocks: list[Block] = [{"type": "header", "text": _plain(f"Hello, {name}", 150)}]
    blocks.append({"type": "header", "text": _plain("Your bookings", 150)})
    if overview.bookings:
        for n, card in enumerate(overview.bookings):
            blocks.extend(_card(card, n))
    else:
        blocks.append(_section("No upcoming bookings."))
    blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": _plain("Open offers", 150)})
    if overview.offers:
        for n, card in enumerate(overview.offers, start=len(overview.bookings)):
            blocks.extend(_card(card, n))
    else:
        blocks.append(_section("No open offers right now. New ones arrive here and in your messages."))
    # What is open that they could take: the list comes as a DM, a code for each.
    blocks.append(_buttons((Choice("Open sessions you can take", "OPEN"),), block_id="open"))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Message me HELP, OPEN, OFFERS, BOOKINGS, PAUSE or SETTINGS at any time.",
                }
            ],
        }
    )
    return {"type": "home", "blocks": blocks[:100]}


# -- the post-a-session modal -------------------------------------------------------------------

POST_CALLBACK = "post_session"
# The modal's inputs: block_id -> what the core calls the field in a refusal.
POST_FIELDS = {
    "practice": "practice",
    "date": "start",
    "start": "start",
    "end": "end",
    "rate": "rate",
    "urgent": "urgent",
    "notes": "notes",
    "professions": "professions",
}


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {**element, "action_id": "value"},
        "optional": optional,
    }


def post_session_modal(
    practices: Sequence[Practice],
    rate: str,
    today: date,
    professions: Sequence[tuple[str, str]] = (("gp", "GP"),),
) -> dict[str, Any]:
    """``professions``: (key, name) of each profession a session can be for."""

    def option(p: Practice) -> dict[str, Any]:
        return {"text": _plain(f"{p.name} ({p.ods_code})"), "value": p.ods_code}

    def who(key: str, name: str) -> dict[str, Any]:
        return {"text": _plain(name[:1].upper() + name[1:]), "value": key}

    practice: dict[str, Any] = {"type": "static_select"}
    if len(practices) <= MAX_OPTIONS:
        practice["options"] = [option(p) for p in practices]
        if len(practices) == 1:
            practice["initial_option"] = option(practices[0])
    else:  # a large pool: grouped by PCN (Slack takes 100 groups of 100)
        by_pcn: dict[str, list[Practice]] = {}
        for p in practices:
            by_pcn.setdefault(p.pcn or "Other practices", []).append(p)
        practice["option_groups"] = [
            {"label": _plain(pcn), "options": [option(p) for p in group[:MAX_OPTIONS]]}
            for pcn, group in sorted(by_pcn.items())[:MAX_OPTIONS]
        ]
    return {
        "type": "modal",
        "callback_id": POST_CALLBACK,
        "title": _plain("Post a session", 24),
        "submit": _plain("Post", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            _input("practice", "Practice", practice),
            _input("date", "Date", {"type": "datepicker", "initial_date": today.isoformat()}),
            _input("start", "Start", {"type": "timepicker", "initial_time": "08:30"}),
            _input(
                "end",
                "End (before the start: the next morning)",
                {"type": "timepicker", "initial_time": "12:30"},
            ),
            _input(
                "professions",
                "Who it is for",
                {
                    "type": "multi_static_select",
                    "options": [who(k, n) for k, n in professions][:MAX_OPTIONS],
                    "initial_options": [who(k, n) for k, n in professions if k == "gp"],
                },
            ),
            _input("rate", "Rate for the session (£)", {"type": "plain_text_input", "initial_value": rate}),
            _input(
                "urgent",
                "Urgency",
                {
                    "type": "checkboxes",
                    "options": [
                        {"text": _plain("Urgent: offer to everyone eligible at once"), "value": "urgent"}
                    ],
                },
                optional=True,
            ),
            _input(
                "notes",
                "Notes for whoever takes it",
                {"type": "plain_text_input", "multiline": True, "max_length": 100},
                optional=True,
            ),
        ],
    }


def submitted_values(view: dict[str, Any]) -> dict[str, Any]:
    """The modal's state as {block_id: value}: a string, a list of checked values, or None."""
    values: dict[str, Any] = {}
    state = view.get("state") if isinstance(view, dict) else None
    found = state.get("values") if isinstance(state, dict) else None
    for block_id, actions in (found if isinstance(found, dict) else {}).items():
        element = actions.get("value") if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "static_select":
            selected = element.get("selected_option")
            values[block_id] = selected.get("value") if isinstance(selected, dict) else None
        elif kind == "multi_static_select":
            chosen = element.get("selected_options")
            values[block_id] = [o.get("value") for o in chosen or [] if isinstance(o, dict)]
        elif kind == "datepicker":
            values[block_id] = element.get("selected_date")
        elif kind == "timepicker":
            values[block_id] = element.get("selected_time")
        elif kind == "checkboxes":
            chosen = element.get("selected_options")
            values[block_id] = [o.get("value") for o in chosen or [] if isinstance(o, dict)]
        else:
            values[block_id] = element.get("value")
    return values


# -- the inbox ----------------------------------------------------------------------------------

INBOX_ANSWER = "inbox_answer"
INBOX_DONE = "inbox_done"
SHOWN_IN_INBOX = 15


def inbox_blocks(items: Sequence[InboxItem]) -> list[Block]:
    if not items:
        return [_section("The inbox is empty: every message has been dealt with.")]
    blocks: list[Block] = [_section(f"{len(items)} message{'s' if len(items) != 1 else ''} to deal with:")]
    for item in items[:SHOWN_IN_INBOX]:
        who = item.member.name if item.member else "Someone not in the pool"
        said = item.body if item.body is not None else "(deleted after the retention period)"
        when = f"{item.received_at.astimezone(LONDON):%d %b %H:%M}"
        repeats = f", {item.count} messages, the newest" if item.count > 1 else ""
        blocks.append(_section(f"{who} ({item.channel}, {when}{repeats}):\n{said}"))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"inbox-{item.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": INBOX_ANSWER,
                        "text": _plain("Answer"),
                        "value": str(item.id),
                    },
                    {
                        "type": "button",
                        "action_id": INBOX_DONE,
                        "text": _plain("Mark done"),
                        "value": str(item.id),
                    },
                ],
            }
        )
    if len(items) > SHOWN_IN_INBOX:
        blocks.append(_section(f"...and {len(items) - SHOWN_IN_INBOX} more."))
    return blocks


def inbox_answer_modal(item: InboxItem) -> dict[str, Any]:
    who = item.member.name if item.member else "this sender"
    return {
        "type": "modal",
        "callback_id": INBOX_ANSWER,
        "private_metadata": str(item.id),
        "title": _plain("Answer", 24),
        "submit": _plain("Send", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            _section(f"{who} wrote:\n{item.body or ''}"),
            _input(
                "answer",
                f"Your answer to {who}"[:MAX_LABEL],
                {"type": "plain_text_input", "multiline": True, "max_length": 200},
            ),
        ],
    }
