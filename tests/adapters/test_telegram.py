"""Telegram, against a fake Bot API on respx (PTB sends through httpx), with updates in the
shapes Telegram documents, delivered to our webhook with the secret header."""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx

from adapters.telegram import TelegramChannel, set_webhook
from bot.clock import LONDON
from bot.commands import CreateGroup, IssueLinkCode
from bot.domain import Member
from config import load_settings
from main import build_app
from tests.fakes import TELEGRAM_BOT, TELEGRAM_ENV, TELEGRAM_SECRET, TELEGRAM_TOKEN, FakeTelegram
from tests.harness import Harness

ZOE_CHAT = 555000111


class Telegram:
    def __init__(self, pool: Harness, fake: FakeTelegram, http: httpx.AsyncClient) -> None:
        self.pool, self.fake, self.http = pool, fake, http
        self._updates = itertools.count(700_000)

    async def deliver(self, update: dict, secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = await self.http.post("/telegram/webhook", json=update, headers=headers)
        await self.pool.pool.settle()
        return response

    def update(self, **content: object) -> dict:
        return {"update_id": next(self._updates), **content}

    @staticmethod
    def person(chat: int) -> dict:
        return {
            "id": chat,
            "is_bot": False,
            "first_name": "Zoë",
            "last_name": "O’Neill",
            "language_code": "en",
        }

    def text(self, chat: int, text: str, chat_type: str = "private") -> dict:
        message = {
            "message_id": next(self._updates), "from": self.person(chat), "date": 1_800_000_000, "text": text,
            "chat": {"id": chat, "type": chat_type, **({"first_name": "Zoë"} if chat_type == "private" else {"title": "GP chat"})},
        }  # fmt: skip
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return self.update(message=message)

    async def say(self, chat: int, text: str, chat_type: str = "private") -> httpx.Response:
        return await self.deliver(self.text(chat, text, chat_type))

    def press(self, chat: int, sent: dict, label: str) -> dict:
        """A callback_query for the button labelled ``label`` on a message the bot sent."""
        keyboard = sent["params"]["reply_markup"]["inline_keyboard"]
        button = next(b for row in keyboard for b in row if b["text"] == label)
        message = {"message_id": sent["message_id"], "date": 1_800_000_000, "text": sent["params"]["text"],
                   "chat": {"id": chat, "type": "private", "first_name": "Zoë"},
                   "from": {"id": 123456789, "is_bot": True, "first_name": "GP Pool", "username": TELEGRAM_BOT},
                   "reply_markup": sent["params"]["reply_markup"]}  # fmt: skip
        return self.update(
            callback_query={
                "id": f"cbq{next(self._updates)}",
                "from": self.person(chat),
                "message": message,
                "chat_instance": "-8237456123",
                "data": button["callback_data"],
            }
        )

    async def link(self, member: Member, chat: int) -> None:
        link = await self.pool.pool.engine.execute(IssueLinkCode(member.phone, TELEGRAM_BOT), actor="test")
        await self.say(chat, f"/start {link.split('start=')[1]}")


@contextlib.asynccontextmanager
async def open_telegram(folder: Path, **env: str) -> AsyncIterator[Telegram]:
    with respx.mock(assert_all_called=False) as router:
        fake = FakeTelegram(router)
        pool = await Harness.open(folder, **TELEGRAM_ENV, **env)
        await pool.practice(name="St Mary’s Surgery", address="1 Church Lane, Northside NS2 4CD")
        settings = load_settings({"POOL_DATABASE": str(pool.database), **TELEGRAM_ENV, **env})
        app = build_app(pool.pool, "token", settings=settings)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="https://pool.example.org"
            ) as http:
                yield Telegram(pool, fake, http)
        finally:
            await pool.close()


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[Telegram]:
    async with open_telegram(tmp_path) as opened:
        yield opened


async def linked_gp(tg: Telegram, chat: int, name: str = "") -> Member:
    member = await tg.pool.gp(name or f"Dr {chat}", preferred_channel="telegram")
    await tg.link(member, chat)
    return member


# -- linking ------------------------------------------------------------------------------------------


async def test_a_gp_links_with_a_deep_link_sent_on_another_channel(tg: Telegram) -> None:
    zoe = await tg.pool.gp("Dr Zoë O’Neill")  # texted (the sandbox, as Twilio is off here)
    link = await tg.pool.pool.engine.execute(IssueLinkCode(zoe.phone, TELEGRAM_BOT, send=True), actor="test")
    assert link.startswith(f"https://t.me/{TELEGRAM_BOT}?start=") and len(link.split("start=")[1]) >= 22
    assert link in (await tg.pool.last(zoe)).body, "the link went to her on the channel that reaches her"

    await tg.say(ZOE_CHAT, f"/start {link.split('start=')[1]}")

    assert (await tg.pool.pool.store.reader().members.member(zoe.id)).telegram_chat_id == str(ZOE_CHAT)
    assert tg.fake.sent_to(ZOE_CHAT)[-1]["text"].startswith("Linked: Dr Zoë O’Neill")


async def test_a_used_an_expired_and_an_unknown_code_get_clear_replies(tg: Telegram) -> None:
    zoe = await tg.pool.gp("Dr Zoë")
    code = (await tg.pool.pool.engine.execute(IssueLinkCode(zoe.phone, TELEGRAM_BOT), actor="test")).split(
        "start="
    )[1]
    await tg.say(ZOE_CHAT, f"/start {code}")
    await tg.say(777, f"/start {code}")
    assert "already been used" in tg.fake.sent_to(777)[-1]["text"]
    assert (await tg.pool.pool.store.reader().members.member(zoe.id)).telegram_chat_id == str(ZOE_CHAT)

    late = (await tg.pool.pool.engine.execute(IssueLinkCode(zoe.phone, TELEGRAM_BOT), actor="test")).split(
        "start="
    )[1]
    await tg.pool.advance(days=7, seconds=1)
    await tg.say(888, f"/start {late}")
    assert "expired" in tg.fake.sent_to(888)[-1]["text"]
    await tg.say(888, "/start notarealcode12345678")
    assert "isn't one we know" in tg.fake.sent_to(888)[-1]["text"]
    assert await tg.pool.pool.store.reader().members.member_by_address("telegram", "888") is None


async def test_a_link_opened_in_a_group_links_nothing(tg: Telegram) -> None:
    zoe = await tg.pool.gp("Dr Zoë")
    code = (await tg.pool.pool.engine.execute(IssueLinkCode(zoe.phone, TELEGRAM_BOT), actor="test")).split(
        "start="
    )[1]
    await tg.say(-100123, f"/start {code}", chat_type="group")
    assert (await tg.pool.pool.store.reader().members.member(zoe.id)).telegram_chat_id is None
    assert "private chat" in tg.fake.sent_to(-100123)[-1]["text"]
    await tg.say(ZOE_CHAT, f"/start {code}")
    assert (await tg.pool.pool.store.reader().members.member(zoe.id)).telegram_chat_id == str(ZOE_CHAT), (
        "still usable"
    )


async def test_an_unlinked_chat_can_only_read_help_and_link(tg: Telegram) -> None:
    await tg.pool.post(urgent=True)
    await tg.say(999, "/help")
    assert "isn't linked" in tg.fake.sent_to(999)[-1]["text"] and "t.me" in tg.fake.sent_to(999)[-1]["text"]
    await tg.say(999, "yes")
    await tg.say(999, "/offers")
    assert len(tg.fake.sent_to(999)) == 1, "a stranger gets one answer a day (how to link), nothing else"


async def test_stop_unlinks_and_offers_go_by_another_channel(tg: Telegram) -> None:
    zoe = await linked_gp(tg, ZOE_CHAT)
    await tg.say(ZOE_CHAT, "/stop")
    assert "Unlinked" in tg.fake.sent_to(ZOE_CHAT)[-1]["text"]
    assert (await tg.pool.pool.store.reader().members.member(zoe.id)).telegram_chat_id is None
    before = len(tg.fake.sent_to(ZOE_CHAT))
    await tg.pool.post(urgent=True)
    assert len(tg.fake.sent_to(ZOE_CHAT)) == before
    assert (await tg.pool.last(zoe)).kind == "offer", "the offer reached her by text instead"


# -- offers --------------------------------------------------------------------------------------------


async def test_offers_come_with_buttons_and_accepting_edits_every_offer(tg: Telegram) -> None:
    zoe = await linked_gp(tg, ZOE_CHAT, "Dr Zoë")
    await linked_gp(tg, 556, "Dr Ali")
    session = await tg.pool.post(urgent=True)
    offer = tg.fake.last_to(ZOE_CHAT)
    other = tg.fake.last_to(556)
    keyboard = offer["params"]["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in keyboard[0]] == ["Accept", "Decline"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in keyboard[0])

    await tg.deliver(tg.press(ZOE_CHAT, offer, "Accept"))

    assert (await tg.pool.view(session)).booked.id == zoe.id
    [edit] = tg.fake.edits_of(ZOE_CHAT, offer["message_id"])
    assert edit["text"].startswith("Booked: St Mary’s Surgery") and "1 Church Lane" in edit["text"]
    assert "reply_markup" not in edit, "the buttons are gone"
    [answered] = tg.fake.called("answerCallbackQuery")
    assert answered["text"] == "Booked"
    assert "has been filled" in tg.fake.edits_of(556, other["message_id"])[-1]["text"]


async def test_decline_by_button_edits_the_offer(tg: Telegram) -> None:
    await linked_gp(tg, ZOE_CHAT)
    session = await tg.pool.post(urgent=True)
    offer = tg.fake.last_to(ZOE_CHAT)
    await tg.deliver(tg.press(ZOE_CHAT, offer, "Decline"))
    assert "declined" in tg.fake.edits_of(ZOE_CHAT, offer["message_id"])[-1]["text"]
    assert tg.fake.called("answerCallbackQuery")[-1]["text"] == "Declined"
    assert (await tg.pool.view(session)).booked is None


async def test_typed_replies_are_read_like_texts(tg: Telegram) -> None:
    zoe = await linked_gp(tg, ZOE_CHAT)
    session = await tg.pool.post(urgent=True)
    await tg.say(ZOE_CHAT, f"yes please {await tg.pool.offer_code(zoe, session)}")
    assert (await tg.pool.view(session)).booked.id == zoe.id
    assert tg.fake.sent_to(ZOE_CHAT)[-2]["text"].startswith("Booked:")
    await tg.say(ZOE_CHAT, "/bookings")
    assert "Your bookings" in tg.fake.sent_to(ZOE_CHAT)[-1]["text"]


async def test_the_same_update_twice_has_one_effect(tg: Telegram) -> None:
    await linked_gp(tg, ZOE_CHAT)
    session = await tg.pool.post(urgent=True)
    press = tg.press(ZOE_CHAT, tg.fake.last_to(ZOE_CHAT), "Accept")
    await tg.deliver(press)
    calls = len(tg.fake.calls)
    again = await tg.deliver(press)
    assert again.status_code == 200
    assert [name for name, _ in tg.fake.calls[calls:]] == ["answerCallbackQuery"], (
        "only the button is answered"
    )
    assert tg.fake.called("answerCallbackQuery")[-1]["text"] == "Already done"
    assert (await tg.pool.view(session)).booked is not None


async def test_a_wrong_or_missing_secret_is_refused_with_no_effect(tg: Telegram) -> None:
    zoe = await tg.pool.gp("Dr Zoë")
    code = (await tg.pool.pool.engine.execute(IssueLinkCode(zoe.phone, TELEGRAM_BOT), actor="test")).split(
        "start="
    )[1]
    update = tg.text(ZOE_CHAT, f"/start {code}")
    assert (await tg.deliver(update, secret="not-the-secret")).status_code == 403
    assert (await tg.deliver(update, secret=None)).status_code == 403
    assert (await tg.pool.pool.store.reader().members.member(zoe.id)).telegram_chat_id is None
    assert tg.fake.called("sendMessage") == []
    assert (await tg.deliver(update)).status_code == 200, "the code was not used up"


# -- limits ---------------------------------------------------------------------------------------------


async def test_a_429_is_waited_out_then_sent(tg: Telegram) -> None:
    await linked_gp(tg, ZOE_CHAT)
    sent = len(tg.fake.delivered)
    tg.fake.script["sendMessage"] = [
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 12",
                "parameters": {"retry_after": 12},
            },
        )
    ]
    await tg.pool.post(urgent=True)
    assert len(tg.fake.delivered) == sent
    await tg.pool.advance(seconds=11)
    assert len(tg.fake.delivered) == sent
    await tg.pool.advance(seconds=1)
    assert tg.fake.last_to(ZOE_CHAT)["params"]["text"].startswith("URGENT")


async def test_a_user_who_blocked_the_bot_is_opted_out_of_telegram(tg: Telegram) -> None:
    zoe = await linked_gp(tg, ZOE_CHAT)
    tg.fake.script["sendMessage"] = [
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    ]
    await tg.pool.post(urgent=True)
    assert "telegram" in (await tg.pool.pool.store.reader().members.member(zoe.id)).opted_out
    sent = len(tg.fake.called("sendMessage"))
    await tg.pool.post(start=tg.pool.clock.now() + timedelta(days=2), urgent=True)
    assert len(tg.fake.called("sendMessage")) == sent, "nothing more is sent to a chat that blocked us"
    assert (await tg.pool.last(zoe)).kind == "offer", "her offers come by text instead"


# -- the desk and set-up ------------------------------------------------------------------------------


async def test_a_coordinator_broadcasts_and_reads_the_inbox_in_telegram(tg: Telegram) -> None:
    sam = await tg.pool.member("Sam Coordinator", roles=("coordinator",), preferred_channel="telegram")
    await tg.link(sam, 444)
    await linked_gp(tg, ZOE_CHAT)
    session = await tg.pool.post()
    await tg.say(444, f"/urgent {session.code}")
    assert f"{session.code} is now urgent" in tg.fake.sent_to(444)[-1]["text"]
    await tg.say(ZOE_CHAT, "Is there parking?")
    await tg.say(444, "/inbox")
    listing = tg.fake.sent_to(444)[-1]["text"]
    assert "Is there parking?" in listing
    number = listing.split("#")[1].split()[0]
    await tg.say(444, f"/answer {number} Yes, bay 4.")
    assert "Yes, bay 4." in tg.fake.sent_to(ZOE_CHAT)[-1]["text"]
    await tg.say(ZOE_CHAT, "/inbox")
    assert "only the pool's coordinators" in tg.fake.sent_to(ZOE_CHAT)[-1]["text"]


async def test_set_webhook_registers_the_public_url_with_the_secret_and_the_menu(tg: Telegram) -> None:
    channel = tg.pool.pool.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    url = await set_webhook(channel, "https://pool.nhs.example/", TELEGRAM_SECRET)
    [hook] = tg.fake.called("setWebhook")
    assert url == hook["url"] == "https://pool.nhs.example/telegram/webhook"
    assert hook["secret_token"] == TELEGRAM_SECRET
    commands = [c["command"] for c in tg.fake.called("setMyCommands")[0]["commands"]]
    assert commands == [
        "open", "offers", "bookings", "available", "pause", "resume", "settings", "checkin", "checkins", "help", "stop",
    ]  # fmt: skip


def test_the_bot_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    from adapters.cli.common import Redact

    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "HTTP Request: POST %s",
        (f"{'https://api.telegram.org'}/bot{TELEGRAM_TOKEN}/sendMessage",),
        None,
    )
    assert Redact([TELEGRAM_TOKEN]).filter(record)
    assert TELEGRAM_TOKEN not in record.getMessage() and "/bot<redacted>/sendMessage" in record.getMessage()


# -- found in review -------------------------------------------------------------------------------


async def test_a_gp_who_unblocks_the_bot_and_books_hears_about_it(tg: Telegram) -> None:
    zoe = await linked_gp(tg, ZOE_CHAT)
    first = await tg.pool.post(urgent=True)
    offer = tg.fake.last_to(ZOE_CHAT)
    tg.fake.script["sendMessage"] = [
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    ]
    await tg.pool.post(start=first.starts_at + timedelta(days=1), urgent=True)
    assert "telegram" in (await tg.pool.pool.store.reader().members.member(zoe.id)).opted_out

    await tg.deliver(tg.press(ZOE_CHAT, offer, "Accept"))  # unblocked, she taps the older offer

    assert (await tg.pool.view(first)).booked.id == zoe.id
    assert tg.fake.edits_of(ZOE_CHAT, offer["message_id"])[-1]["text"].startswith("Booked:")
    assert "telegram" not in (await tg.pool.pool.store.reader().members.member(zoe.id)).opted_out


async def test_a_stop_typed_by_the_gp_is_not_undone_by_their_next_message(tg: Telegram) -> None:
    zoe = await linked_gp(tg, ZOE_CHAT)
    await tg.say(ZOE_CHAT, "STOP")
    await tg.say(ZOE_CHAT, "thanks")
    assert "telegram" in (await tg.pool.pool.store.reader().members.member(zoe.id)).opted_out


async def test_linking_in_a_pool_with_no_texts_brings_the_open_sessions(tmp_path: Path) -> None:
    async with open_telegram(tmp_path, POOL_SANDBOX="off") as tg:
        session = await tg.pool.post(urgent=True)  # posted before anyone could be reached
        zoe = await tg.pool.gp("Dr Zoë", preferred_channel="telegram")
        await tg.link(zoe, ZOE_CHAT)
        assert tg.fake.last_to(ZOE_CHAT)["params"]["text"].startswith("URGENT")
        assert zoe.id in {m.id for _, m in (await tg.pool.view(session)).offers}


async def test_a_button_in_a_chat_that_is_no_longer_linked_says_so(tg: Telegram) -> None:
    await linked_gp(tg, ZOE_CHAT)
    session = await tg.pool.post(urgent=True)
    offer = tg.fake.last_to(ZOE_CHAT)
    await tg.say(ZOE_CHAT, "/stop")
    await tg.deliver(tg.press(ZOE_CHAT, offer, "Accept"))
    assert tg.fake.called("answerCallbackQuery")[-1]["text"] == "This chat isn't linked to the pool"
    assert (await tg.pool.view(session)).booked is None
    assert await tg.pool.pool.store.reader().inbox.items("open") == []


async def test_strangers_get_a_polite_answer_and_nothing_reaches_the_inbox(tg: Telegram) -> None:
    for chat in (901, 902, 903):
        await tg.say(chat, "hello, anyone there?")
        assert "isn't linked" in tg.fake.sent_to(chat)[-1]["text"]
    assert await tg.pool.pool.store.reader().inbox.items("open") == []


async def test_a_group_that_will_not_take_our_reply_is_not_redelivered_forever(tg: Telegram) -> None:
    tg.fake.script["sendMessage"] = [
        (
            403,
            {"ok": False, "error_code": 403, "description": "Forbidden: bot was kicked from the group chat"},
        )
    ]
    assert (await tg.say(-100555, "/start abc", chat_type="group")).status_code == 200


async def test_a_redelivered_desk_command_has_one_effect(tg: Telegram) -> None:
    sam = await tg.pool.member("Sam Coordinator", roles=("coordinator",), preferred_channel="telegram")
    await tg.link(sam, 444)
    session = await tg.pool.post()
    cancel = tg.text(444, f"/cancel {session.code} Practice closed")
    await tg.deliver(cancel)
    await tg.deliver(cancel)
    replies = [m["text"] for m in tg.fake.sent_to(444)]
    assert replies[-1].startswith(f"Cancelled {session.code}") and not any(
        "can't be cancelled" in r for r in replies
    )
    inbox = tg.text(444, "/inbox")
    await tg.deliver(inbox)
    await tg.deliver(inbox)
    assert sum("inbox is empty" in m["text"] for m in tg.fake.sent_to(444)) == 1


async def test_opening_your_own_link_again_says_you_are_linked(tg: Telegram) -> None:
    zoe = await tg.pool.gp("Dr Zoë", preferred_channel="telegram")
    link = await tg.pool.pool.engine.execute(IssueLinkCode(zoe.phone, TELEGRAM_BOT), actor="test")
    await tg.say(ZOE_CHAT, f"/start {link.split('start=')[1]}")
    await tg.say(ZOE_CHAT, f"/start {link.split('start=')[1]}")
    assert tg.fake.sent_to(ZOE_CHAT)[-1]["text"].startswith("You're already linked")


async def test_a_chat_linked_to_someone_is_not_silently_taken_by_another_code(tg: Telegram) -> None:
    ali = await linked_gp(tg, 556, "Dr Ali")
    zoe = await tg.pool.gp("Dr Zoë")
    code = (await tg.pool.pool.engine.execute(IssueLinkCode(zoe.phone, TELEGRAM_BOT), actor="test")).split(
        "start="
    )[1]
    await tg.say(556, f"/start {code}")
    assert "already linked to someone else" in tg.fake.sent_to(556)[-1]["text"]
    reader = tg.pool.pool.store.reader()
    assert (await reader.members.member(ali.id)).telegram_chat_id == "556"
    await tg.say(ZOE_CHAT, f"/start {code}")
    assert (await reader.members.member(zoe.id)).telegram_chat_id == str(ZOE_CHAT), "the code was not used up"


async def test_a_check_in_by_button_gets_the_low_score_follow_up(tmp_path: Path) -> None:
    async with open_telegram(tmp_path) as tg:
        zoe = await linked_gp(tg, ZOE_CHAT)
        await tg.say(ZOE_CHAT, "/start")  # (help) then set a cadence by typing, as on any channel
        await tg.say(ZOE_CHAT, "/checkin weekly wed 12:00")
        assert "Done: check-ins weekly on Wednesdays at 12:00" in tg.fake.sent_to(ZOE_CHAT)[-1]["text"]
        tg.pool.clock.set(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON))
        await tg.pool.pool.settle()
        question = tg.fake.last_to(ZOE_CHAT)
        assert [b["text"] for b in question["params"]["reply_markup"]["inline_keyboard"][0]] == [
            "1",
            "2",
            "3",
            "4",
            "5",
        ]
        await tg.deliver(tg.press(ZOE_CHAT, question, "2"))
        assert "Practitioner Health" in tg.fake.sent_to(ZOE_CHAT)[-1]["text"]
        async with tg.pool.pool.store.unit_of_work() as uow:
            assert [score for _, score in await uow.wellbeing.checkin_history(zoe.id, 5)] == [2]


async def test_a_lead_schedules_from_telegram_and_a_member_taps_going(tg: Telegram) -> None:
    lee = await tg.pool.member("Lee Lead", roles=("lead",), preferred_channel="telegram")
    await tg.link(lee, 445)
    zoe = await linked_gp(tg, ZOE_CHAT, "Dr Zoë")
    await tg.pool.pool.engine.execute(CreateGroup("New GPs", "action_learning", (zoe.phone,)), actor="test")
    await tg.say(445, "/meet New GPs on 10/12 12:30-14:00 at Riverside Surgery cap 6")
    assert tg.fake.sent_to(445)[-1]["text"].startswith("Scheduled 1 session(s) from Thu 10 Dec, 12:30-14:00")
    invite = tg.fake.last_to(ZOE_CHAT)
    assert invite["params"]["text"].startswith(
        "New GPs on Thu 10 Dec, 12:30-14:00, Riverside Surgery. 6 places"
    )
    await tg.deliver(tg.press(ZOE_CHAT, invite, "Going"))
    assert tg.fake.called("editMessageText")[-1]["text"].startswith("You're going to New GPs")
    await tg.say(445, "/group New GPs")
    view = tg.fake.sent_to(445)[-1]["text"]
    assert "going 1: Dr Zoë | not going 0 | no answer 0" in view
    await tg.say(445, "/meet New GPs on someday 12:30-14:00 at Room 1")
    assert "Which day is 'someday'" in tg.fake.sent_to(445)[-1]["text"]
    gp_tries = await tg.say(ZOE_CHAT, "/meet New GPs on 11/12 12:30-14:00 at Room 1")
    assert gp_tries.status_code == 200
    assert "coordinators" in tg.fake.sent_to(ZOE_CHAT)[-1]["text"]
