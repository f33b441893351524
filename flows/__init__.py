"""The conversations: shift offers, keywords, safety, the inbox. Messages are templates."""

from __future__ import annotations

from bot.engine import Engine
from flows.conversation import delivery
from flows.desk import actions, alerts, board, chat, imports, report
from flows.money import expenses, forms, invoices, signoff, timesheets
from flows.peer import coffee, groups, mentoring, nudges
from flows.people import checks, directory, evidence, keywords, linking, overview, signin, whatsapp
from flows.shifts import batches, booking, escalation, offers, open_sessions, reminders
from flows.wellbeing import checkins


def register(engine: Engine) -> None:
    """Give the engine the flows' commands and timer handlers."""
    offers.register(engine)
    booking.register(engine)
    imports.register(engine)
    alerts.register(engine)
    batches.register(engine)
    open_sessions.register(engine)
    checks.register(engine)
    keywords.register(engine)
    actions.register(engine)
    escalation.register(engine)
    chat.register(engine)
    report.register(engine)
    delivery.register(engine)
    checkins.register(engine)
    linking.register(engine)
    mentoring.register(engine)
    groups.register(engine)
    coffee.register(engine)
    nudges.register(engine)
    overview.register(engine)
    reminders.register(engine)
    signin.register(engine)
    evidence.register(engine)
    directory.register(engine)
    board.register(engine)
    signoff.register(engine)
    expenses.register(engine)
    timesheets.register(engine)
    invoices.register(engine)
    forms.register(engine)
    whatsapp.register(engine)
