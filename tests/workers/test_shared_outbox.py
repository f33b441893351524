"""Three `serve` workers share one outbox on PostgreSQL, and the one sending is SIGKILLed mid-way
through a 1,000-GP broadcast: every GP still gets the offer, almost nobody twice, and the SMS
channel is only ever sent by one worker at a time, at its configured pace."""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from itertools import groupby
from pathlib import Path

from tests.twilio_server import TwilioServer
from tests.workers.serve import Workers, base_env, post_session, scalar, seed, sql, tomorrow_at, until

GPS = 1000
SMS_PER_SECOND = 100  # the dispatcher claims half a second's worth: batches of 50 (bot/outbox.py)
BATCH = SMS_PER_SECOND // 2
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000001",
    "TWILIO_AUTH_TOKEN": "workers-auth-token",
    "TWILIO_FROM_NUMBER": "+447700900999",
    "POOL_PUBLIC_URL": "https://pool.example.org",
}


def test_a_broadcast_survives_its_sender_being_killed(postgres_url: str, tmp_path: Path) -> None:
    with TwilioServer() as twilio, Workers(tmp_path) as workers:
        envs = [
            base_env(
                postgres_url,
                **TWILIO,
                TWILIO_API_BASE=twilio.base(f"w{n}"),  # the fake tells the workers' sends apart
                POOL_SANDBOX="off",
                POOL_SMS_PER_SECOND=str(SMS_PER_SECOND),
                POOL_CLAIM_LEASE_SECONDS="3",  # a killed worker's claim passes on 3 s after its last claim
            )
            for n in (1, 2, 3)
        ]
        started = workers.spawn(*envs)
        phones = asyncio.run(seed(postgres_url, GPS, channel="sms"))  # while they start
        workers.wait(started)
        by_label = {f"w{n}": worker for n, worker in zip((1, 2, 3), started, strict=True)}

        post_session(started[0], tomorrow_at(8, 30), urgent=True)
        # Kill whoever is sending once about a third has gone: it has a batch claimed then.
        until(lambda: len(twilio.sends) >= GPS // 3, 120, "a third of the offers sent", every=0.02)
        senders = {send.worker for send in twilio.snapshot()}
        assert len(senders) == 1, f"one worker sends SMS at a time, not {sorted(senders)}"
        killed_label = senders.pop()
        killed = by_label[killed_label]
        killed.kill()

        def all_sent() -> bool:
            return scalar(
                postgres_url, "SELECT count(*) FROM messages WHERE kind = 'offer' AND status = 'sent'"
            ) == GPS and set(twilio.per_phone()) >= set(phones)

        until(all_sent, 120, f"every offer sent after {killed.name} was killed", every=0.2)
        sends = twilio.snapshot()
        logs = workers.logs()

    # Every GP got the offer at least once, and every offer row ended 'sent'.
    got = twilio.per_phone()
    assert set(got) == set(phones)
    offers = sql(postgres_url, "SELECT status, count(*) FROM messages WHERE kind = 'offer' GROUP BY status")
    assert offers == [("sent", GPS)], offers
    assert scalar(postgres_url, "SELECT count(*) FROM offers") == GPS

    # Twice only for what the killed worker had claimed and not yet recorded: at most one batch.
    twice = sorted(p for p, n in got.items() if n > 1)
    assert max(got.values()) <= 2, got.most_common(3)
    assert len(twice) <= BATCH, f"{len(twice)} GPs got the offer twice (at most a batch of {BATCH})"
    for p in twice:
        first, second = (s.worker for s in sends if s.to == p)
        assert first == killed_label and second != killed_label, (p, first, second)

    # One worker at a time: the killed one's sends, then one successor's, never interleaved.
    runs = [label for label, _ in groupby(s.worker for s in sends)]
    assert runs[0] == killed_label and len(runs) == 2, f"the sender changed {len(runs) - 1} times: {runs[:8]}"

    # And the channel's pace held: in any 3 s at most 300 sends, plus 50 for the arrival times
    # bunching when this loaded machine holds the fake's threads up. Three dispatchers would
    # each have gone at the pace (one alone reaches 60 to 90 a second here).
    times = sorted(s.at for s in sends)
    busiest = max(bisect_left(times, start + 3.0) - i for i, start in enumerate(times))
    assert busiest <= 3.5 * SMS_PER_SECOND, f"{busiest} SMS in 3 s (limit {SMS_PER_SECOND}/s)"
    assert "Traceback" not in logs, logs
