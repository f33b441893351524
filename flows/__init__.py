"""The conversations: shift offers, keywords, safety, the inbox. Messages are templates."""

from __future__ import annotations

from bot.engine import Engine
from flows import (
    alerts,
    checks,
    coffee,
    delivery,
    desk,
    desk_chat,
    escalation,
    groups,
    imports,
    keywords,
    linking,
    mentoring,
    nudges,
    offer_batches,
    offers,
    open_sessions,
    overview,
    reminders,
    report,
    wellbeing,
)


def register(engine: Engine) -> None:
    """Give the engine the flows' commands and timer handlers."""
    offers.register(engine)
    imports.register(engine)
    alerts.register(engine)
    offer_batches.register(engine)
    open_sessions.register(engine)
    checks.register(engine)
    keywords.register(engine)
    desk.register(engine)
    escalation.register(engine)
    desk_chat.register(engine)
    report.register(engine)
    delivery.register(engine)
    wellbeing.register(engine)
    linking.register(engine)
    mentoring.register(engine)
    groups.register(engine)
    coffee.register(engine)
    nudges.register(engine)
    overview.register(engine)
    reminders.register(engine)
