"""The ports the core talks through: a channel, and the store.

Adapters implement ``Channel`` (``channels.py``); ``storage/`` implements ``Store`` and its unit
of work (``store.py``), which carries one small repository per area of the domain: people,
shifts, messaging, timers, the desk, peer support, wellbeing and money. The core and the flows
only ever see these shapes.
"""

from bot.ports.channels import (
    Channel,
    ChannelLimits,
    OptedOut,
    OutboxMessage,
    RetryLater,
    SendResult,
    Sent,
    Unreachable,
)
from bot.ports.records import (
    TIMESHEET_COLUMNS,
    Board,
    BoardDay,
    BoardRow,
    CheckState,
    DispatchOutcome,
    GroupSummary,
    InboxItem,
    InvoiceRow,
    MatchProposal,
    OfferTally,
    PendingMentoring,
    PersonPage,
    PersonRow,
    QueuedMessage,
    SentMessage,
    SessionPage,
    SessionView,
    SignOffRow,
    TimerRow,
    TimesheetLine,
    timesheet_rows,
)
from bot.ports.store import Reader, Store, UnitOfWork

__all__ = [
    "TIMESHEET_COLUMNS",
    "Board",
    "BoardDay",
    "BoardRow",
    "Channel",
    "ChannelLimits",
    "CheckState",
    "DispatchOutcome",
    "GroupSummary",
    "InboxItem",
    "InvoiceRow",
    "MatchProposal",
    "OfferTally",
    "OptedOut",
    "OutboxMessage",
    "PendingMentoring",
    "PersonPage",
    "PersonRow",
    "QueuedMessage",
    "Reader",
    "RetryLater",
    "SendResult",
    "Sent",
    "SentMessage",
    "SessionPage",
    "SessionView",
    "SignOffRow",
    "Store",
    "TimerRow",
    "TimesheetLine",
    "UnitOfWork",
    "Unreachable",
    "timesheet_rows",
]
