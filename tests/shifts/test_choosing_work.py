"""GPs choose their work (issue 18): OPEN and its reasons, MORE and its hour, a lapsed offer
that a YES still takes, and one text for several offers (SMS segments counted by the Twilio
fake; Telegram's batch with a row of buttons per session, edited as they are answered)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from adapters.gsm import segments
from bot.commands import PostSession, SetPracticePreference
from bot.domain import OfferState
from bot.policy import PoolPolicy
from main import cli
from tests.adapters.test_telegram import Telegram, linked_gp, open_telegram
from tests.fakes import TELEGRAM_ENV, TWILIO_ENV, FakeTelegram, FakeTwilio
from tests.harness import AUTH, Harness, at

BATCHED = PoolPolicy(pool_name="Test Pool", offer_batch=timedelta(minutes=2))


async def post(pool: Harness, day: int, hour: int = 9, urgent: bool = False, practice: str = "X10001", **kw):  # type: ignore[no-untyped-def]
    start = at(pool.today + timedelta(days=day), hour, 0)
    session = await pool.pool.engine.execute(
        PostSession(practice, start, start + timedelta(hours=4), 32000, urgent=urgent, **kw), actor="test"
    )
    await pool.pool.settle()
    return session


def open_lines(body: str) -> list[str]:
    return [line for line in body.splitlines()[1:] if line[:4].isdigit()]


# -- OPEN --------------------------------------------------------------------------------------------


async def test_open_lists_what_they_can_take_and_a_yes_with_its_code_books_it(pool: Harness) -> None:
    await pool.gp("Dr Busy", max_sessions_per_week=0)  # hears nothing: the session stays open
    gp = await pool.gp("Dr Keen", days=("mon",))  # not in the waves: works Mondays only
    session = await post(pool, day=3)  # a Friday
    assert (await pool.view(session)).offers == ()
    await pool.send(gp, "OPEN")
    listing = await pool.last(gp)
    [line] = open_lines(listing.body)
    assert (
        "Riverside Surgery" in line
        and "£320" in line
        and listing.body.startswith("Open sessions you can take:")
    )
    await pool.send(gp, f"YES {line[:4]}")
    assert (await pool.view(session)).booked.id == gp.id
    offer = (await pool.view(session)).offers[0][0]
    assert offer.source == "open" and offer.wave == 0, "kept out of the waves"


@pytest.mark.parametrize(
    "reason",
    ["profession", "checks", "clash", "cap", "paused", "blocked", "turned_down", "started"],
)
async def test_open_leaves_out_what_they_cannot_take(pool: Harness, reason: str) -> None:
    gp = await pool.gp(
        "Dr Keen",
        profession="practice_nurse" if reason == "profession" else "gp",
        checks={"identity": None} if reason == "checks" else None,
        max_sessions_per_week=1 if reason == "cap" else None,
        paused_until=pool.today + timedelta(days=10) if reason == "paused" else None,
    )
    hidden = await post(pool, day=2, hour=13)
    if reason == "clash" or reason == "cap":
        other = await post(pool, day=2, hour=12 if reason == "clash" else 8)
        await pool.send(gp, f"YES {await pool.offer_code(gp, other)}")
    if reason == "blocked":
        await pool.pool.engine.execute(SetPracticePreference("X10001", gp.phone, "block"), actor="test")
    if reason == "turned_down":
        await pool.send(gp, f"NO {await pool.offer_code(gp, hidden)}")
    if reason == "started":
        pool.clock.set(hidden.starts_at + timedelta(minutes=1))
    await pool.send(gp, "OPEN")
    assert (await pool.last(gp)).body.startswith("Nothing open fits you right now. Reply AVAILABLE"), reason


async def test_more_pages_a_long_list_and_forgets_it_after_an_hour(pool: Harness) -> None:
    gp = await pool.gp("Dr Keen", days=("sat",))  # in no wave: every session is only in OPEN
    for day in range(1, 7):
        for hour in (8, 13):
            await post(pool, day=day, hour=hour)
    await pool.send(gp, "OPEN")
    first = await pool.last(gp)
    assert len(first.body) <= 306 and "Reply MORE for the next" in first.body
    shown = open_lines(first.body)
    await pool.send(gp, "MORE")
    second = await pool.last(gp)
    assert open_lines(second.body) and not set(open_lines(second.body)) & set(shown)
    while "Reply MORE" in (await pool.last(gp)).body:
        await pool.send(gp, "MORE")
        shown += open_lines((await pool.last(gp)).body)
    assert len(set(shown + open_lines(second.body))) == 12, "every session shown once"

    await pool.send(gp, "BOOKINGS")
    await pool.advance(minutes=61)
    await pool.send(gp, "MORE")
    assert (await pool.last(gp)).kind == "more_nothing"


async def test_open_over_the_api_and_the_cli(pool: Harness, client: httpx.AsyncClient) -> None:
    gp = await pool.gp("Dr Keen", days=("mon",))
    await post(pool, day=3)
    found = (await client.get(f"/api/members/{gp.phone}/open", headers=AUTH)).json()
    assert [(f["practice"], f["rate_pence"]) for f in found] == [("X10001", 32000)] and len(
        found[0]["code"]
    ) == 4
    again = (await client.get(f"/api/members/{gp.phone}/open", headers=AUTH)).json()
    assert again[0]["code"] == found[0]["code"], "the same code, not a new one each time"
    other = await pool.gp("Dr Nosy")
    denied = await client.get(f"/api/members/{gp.phone}/open", headers={**AUTH, "X-Acting-As": other.phone})
    assert denied.status_code == 403
    env = {"POOL_DATABASE": str(pool.database)}
    printed = await asyncio.to_thread(CliRunner().invoke, cli, ["open", gp.phone], env=env)
    assert found[0]["code"] in printed.output and "Riverside Surgery" in printed.output


# -- a lapsed offer is not a no ---------------------------------------------------------------------


async def test_a_yes_to_a_lapsed_offer_books_while_the_session_is_open(pool: Harness) -> None:
    gp = await pool.gp()
    session = await post(pool, day=3)
    code = await pool.offer_code(gp, session)
    await pool.advance(hours=3)
    assert (await pool.view(session)).offers[0][0].state == OfferState.EXPIRED
    await pool.send(gp, "yes")  # bare: the offer they last had
    assert (await pool.view(session)).booked.id == gp.id
    assert code


async def test_a_yes_to_a_lapsed_offer_is_refused_once_filled_or_closed(pool: Harness) -> None:
    first, second = await pool.gp("Dr First"), await pool.gp("Dr Second")
    filled = await post(pool, day=3)
    codes = [await pool.offer_code(g, filled) for g in (first, second)]
    await pool.advance(hours=3)
    await pool.send(first, f"YES {codes[0]}")
    await pool.send(second, f"YES {codes[1]}")
    assert (await pool.view(filled)).booked.id == first.id
    assert (await pool.last(second)).kind == "already_filled"

    started = await post(pool, day=0, hour=pool.clock.now().hour + 3)
    code = await pool.offer_code(second, started)
    pool.clock.set(started.starts_at + timedelta(minutes=1))
    await pool.send(second, f"YES {code}")
    assert (await pool.view(started)).booked is None


# -- one text for several offers ---------------------------------------------------------------------


async def test_six_offers_from_one_import_go_as_one_text_with_its_segments_counted(tmp_path: Path) -> None:
    with respx.mock(assert_all_called=False) as router:
        twilio = FakeTwilio(router)
        pool = await Harness.open(tmp_path, policy=BATCHED, **TWILIO_ENV)
        try:
            await pool.practice(name="Riverside")
            gp = await pool.gp("Dr Ng", preferred_channel="sms")
            from flows.desk import imports

            day = pool.tomorrow
            rows = "".join(
                f"X10001,{(day + timedelta(days=n)).isoformat()}T{h:02}:00,{(day + timedelta(days=n)).isoformat()}T{h + 4:02}:00,32000,no,,\n"
                for n in range(3)
                for h in (8, 13)
            )
            text = "practice,start,end,rate_pence,urgent,notes,repeat_weeks\n" + rows
            await pool.pool.engine.run(
                "test", lambda turn: imports.import_sessions(turn, imports.read_csv("sessions", text))
            )
            await pool.pool.settle()
            assert twilio.to(gp.phone) == [], "held for the batch"
            await pool.advance(minutes=2)
            [sms] = twilio.to(gp.phone)
            assert sms["Body"].startswith("6 GP sessions for you:\nRiverside, £320:\n")
            counted = segments(sms["Body"])
            assert counted.encoding == "GSM-7" and counted.count == 2, "one paid text of two parts, not six"
            reader = pool.pool.store.reader()
            today = pool.clock.now() - timedelta(hours=1), pool.clock.now() + timedelta(hours=1)
            assert await reader.messages.sms_segments_between(*today) == 2, (
                "the report counts what Twilio billed"
            )

            codes = [line.split(":")[0] for line in sms["Body"].splitlines()[2:8]]
            assert all(c.isdigit() and len(c) == 4 for c in codes)
            await pool.send(gp, f"YES {codes[1]}")  # each code books its own session
            assert len([o for o, _, _ in await pool.pool.store.reader().offers.open_offers(gp.id)]) == 5
        finally:
            await pool.close()


async def test_an_urgent_offer_goes_at_once_beside_a_batch(tmp_path: Path) -> None:
    pool = await Harness.open(tmp_path, policy=BATCHED)
    try:
        await pool.practice()
        gp = await pool.gp()
        await post(pool, day=3)
        await post(pool, day=4)
        await post(pool, day=1, urgent=True)
        assert [m.kind for m in await pool.messages(gp)] == ["offer"], "the urgent one, now"
        assert (await pool.last(gp)).body.startswith("URGENT: GP session")
        await pool.advance(minutes=2)
        last = await pool.last(gp)
        assert last.body.startswith("2 GP sessions for you:")
    finally:
        await pool.close()


async def test_open_while_offers_wait_for_their_batch_shows_their_codes_and_the_batch_leaves_them(
    tmp_path: Path,
) -> None:
    pool = await Harness.open(tmp_path, policy=BATCHED)
    try:
        await pool.practice()
        gp = await pool.gp()
        sessions = [await post(pool, day=3), await post(pool, day=4)]
        assert await pool.messages(gp) == [], "both offers wait for the batch"
        await pool.send(gp, "OPEN")
        listed = [line[:4] for line in open_lines((await pool.last(gp)).body)]
        assert listed == [await pool.offer_code(gp, s) for s in sessions], "the codes already made"
        shown = len(await pool.messages(gp))
        await pool.advance(minutes=2)
        assert len(await pool.messages(gp)) == shown, "told by OPEN, not again by the batch"
    finally:
        await pool.close()


async def test_a_batch_on_telegram_has_a_row_of_buttons_per_session_and_is_edited(tmp_path: Path) -> None:
    with respx.mock(assert_all_called=False) as router:
        fake = FakeTelegram(router)
        pool = await Harness.open(tmp_path, policy=BATCHED, **TELEGRAM_ENV)
        await pool.practice(name="St Mary’s Surgery")
        from config import load_settings
        from main import build_app

        app = build_app(
            pool.pool, "token", settings=load_settings({"POOL_DATABASE": str(pool.database), **TELEGRAM_ENV})
        )
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="https://pool.example.org"
            ) as http:
                tg = Telegram(pool, fake, http)
                gp = await linked_gp(tg, 555000111)
                rival = await pool.gp("Dr Rival")
                sessions = [await post(pool, day=d) for d in (2, 3, 4)]
                await pool.advance(minutes=2)
                batch = fake.last_to(555000111)
                rows = batch["params"]["reply_markup"]["inline_keyboard"]
                assert len(rows) == 3 and all(
                    [b["text"] for b in row] == ["Accept", "Decline"] for row in rows
                )
                assert batch["params"]["text"].startswith("3 GP sessions for you:")

                await tg.deliver(tg.press(555000111, batch, "Accept"))  # the first row
                edit = fake.edits_of(555000111, batch["message_id"])[-1]
                assert "Booked:" in edit["text"] and len(edit["reply_markup"]["inline_keyboard"]) == 2
                assert (await pool.view(sessions[0])).booked.id == gp.id

                await pool.send(rival, f"YES {await pool.offer_code(rival, sessions[1])}")
                edit = fake.edits_of(555000111, batch["message_id"])[-1]
                assert "Gone:" in edit["text"] and len(edit["reply_markup"]["inline_keyboard"]) == 1
        finally:
            await pool.close()


async def test_on_telegram_help_has_an_open_button_and_each_open_session_its_own_buttons(
    tmp_path: Path,
) -> None:
    async with open_telegram(tmp_path) as tg:
        gp = await tg.pool.gp("Dr Keen", preferred_channel="telegram", days=("sat",))  # in no wave
        await tg.link(gp, 555000111)
        sessions = [await post(tg.pool, day=d) for d in (2, 3)]
        await tg.say(555000111, "/help")
        help_message = tg.fake.last_to(555000111)
        await tg.deliver(tg.press(555000111, help_message, "Open sessions you can take"))
        listing = tg.fake.last_to(555000111)
        assert listing["params"]["text"].startswith("Open sessions you can take:")
        rows = listing["params"]["reply_markup"]["inline_keyboard"]
        assert [[b["text"] for b in row] for row in rows] == [["Accept", "Decline"]] * 2, "a row a session"
        await tg.deliver(tg.press(555000111, listing, "Accept"))  # the first row: the soonest
        assert (await tg.pool.view(sessions[0])).booked.id == gp.id
        assert (await tg.pool.view(sessions[1])).booked is None
