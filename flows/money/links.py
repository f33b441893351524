"""Links to documents sent in messages (an invoice, its Form A, a month's Form B): a random
token, of which only the SHA-256 is kept, good for LINK_LIFE. The link is the key: whoever
has the message can open the document, as with an emailed PDF, so it is sent only to the
people the document is for."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from bot.engine import Turn

LINK_LIFE = timedelta(days=90)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def document_link(turn: Turn, kind: str, ref: str) -> str:
    # The engine's randomness: the operating system's (SystemRandom) when serving, seeded in
    # tests and the demo so their transcripts stay the same.
    token = base64.urlsafe_b64encode(turn.rng.getrandbits(192).to_bytes(24, "big")).decode().rstrip("=")
    await turn.uow.invoices.add_link(token_hash(token), kind, ref, turn.now + LINK_LIFE, turn.now)
    return f"{turn.policy.public_url}/documents/{token}"
