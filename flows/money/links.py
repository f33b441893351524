"""Links to documents sent in messages (an invoice, its Form A, a month's Form B): a random
token, of which only the SHA-256 is kept, good for LINK_LIFE. The link is the key: whoever
has the message can open the document, as with an emailed PDF, so it is sent only to the
people the document is for."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.engine import Turn

LINK_LIFE = timedelta(days=90)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def document_link(turn: Turn, kind: str, ref: str) -> str:
    token = secrets.token_urlsafe(24)
    await turn.uow.invoices.add_link(token_hash(token), kind, ref, turn.now + LINK_LIFE, turn.now)
    return f"{turn.policy.public_url}/documents/{token}"
