"""Choices as reply words, for channels that have no buttons (SMS, the sandbox)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Choice


def reply_words(choices: Sequence[Choice]) -> str:
    """'Reply YES 4821 or NO 4821.' (Nothing for choices in groups: a message about several
    things says each one's code itself.)"""
    if any(choice.group for choice in choices):
        return ""
    values = [choice.value for choice in choices]
    if not values:
        return ""
    if len(values) == 1:
        return f"Reply {values[0]}."
    return f"Reply {', '.join(values[:-1])} or {values[-1]}."


def text_with_choices(text: str, choices: Sequence[Choice]) -> str:
    words = reply_words(choices)
    return f"{text}\n{words}" if words else text
