"""The outbox worker: nothing owed is lost, nothing is sent twice but what was in flight."""

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import pytest

from bot import broadcasts, texts_fa
from bot.notices import message
from tests.conftest import ADMIN, MUNICIPALITY_CHAT
from tests.flows import card_in, file_report, register
from tests.harness import TIMED_OUT, DiskFull, Fault, Harness, Person, eventually
from tests.test_agency import in_group


def sends(bot) -> Counter:
    return Counter(
        (c.chat_id, c.method, c.text) for c in bot.api.calls if c.method.startswith("send")
    )


async def test_crash_between_commit_and_send_loses_nothing(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident, photos=1)
    owed = await bot.app.storage.outbox_counts()
    assert owed == {"pending": 3}  # confirmation, photo and card: committed, none sent yet
    assert not any(c.chat_id == MUNICIPALITY_CHAT for c in bot.api.calls)
    await bot.restart()  # the process dies before its worker sent anything
    await bot.app.delivery.start()
    await bot.app.delivery.stop()
    await bot.app.delivery.drain()
    assert await bot.app.storage.outbox_counts() == {"sent": 3}
    assert [c.method for c in bot.api.sent_to(MUNICIPALITY_CHAT)] == ["sendPhoto", "sendMessage"]
    assert "گزارش شما ثبت شد" in bot.api.last_to(resident.id).text
    assert max(sends(bot).values()) == 1


class Crash(Exception):
    """The process dies right after Telegram accepted a message, before it was recorded."""


async def test_only_the_message_in_flight_at_a_crash_is_sent_twice(bot, resident, monkeypatch):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    real_mark_sent = bot.app.storage.mark_sent

    async def dies_on_the_card(row, message_id):
        if row.payload.get("card"):
            raise Crash
        await real_mark_sent(row, message_id)

    monkeypatch.setattr(bot.app.storage, "mark_sent", dies_on_the_card)
    await bot.app.delivery.drain()
    assert await bot.app.storage.outbox_counts() == {"sent": 1, "sending": 1}
    monkeypatch.undo()
    await bot.restart()
    await bot.app.delivery.start()  # puts the in-flight message back in line
    await bot.app.delivery.stop()
    await bot.app.delivery.drain()
    counts = sends(bot)
    duplicated = [key for key, n in counts.items() if n > 1]
    assert len(duplicated) == 1
    assert duplicated[0][0] == MUNICIPALITY_CHAT  # the card, the one in flight
    ticket = (await bot.app.storage.tickets_of_resident(resident.id, 1, 0))[0]
    assert ticket.card_message_id is not None


async def test_429_is_obeyed_and_the_message_kept(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    bot.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    await bot.app.delivery.drain()
    assert bot.waited == [7.0]  # Telegram's word was waited out, then the message went again
    assert await bot.app.storage.outbox_counts() == {"sent": 2}
    assert max(sends(bot).values()) == 1
    assert "گزارش شما ثبت شد" in bot.api.last_to(resident.id).text


async def test_403_marks_the_resident_inactive(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    bot.api.blocked.add(resident.id)  # blocks the bot right after confirming
    await bot.app.delivery.drain()
    counts = await bot.app.storage.outbox_counts()
    assert counts == {"blocked": 1, "sent": 1}  # the card still reached the agency
    assert (await bot.app.storage.get_resident(resident.id)).active is False


@pytest.mark.parametrize("status", [502, 504])
async def test_network_trouble_is_retried_with_backoff(bot, resident, status):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    bot.api.fail_next("sendMessage", status, "Gateway trouble")
    await bot.app.delivery.drain()
    assert (await bot.app.storage.outbox_counts()).get("pending") == 1
    bot.clock.advance(seconds=1)
    await bot.app.delivery.drain()
    assert (await bot.app.storage.outbox_counts()).get("pending") == 1  # backoff is 2 s
    bot.clock.advance(seconds=2)
    await bot.app.delivery.drain()
    assert await bot.app.storage.outbox_counts() == {"sent": 2}


async def test_a_message_telegram_refuses_is_not_retried(bot, resident, caplog):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    bot.api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    await bot.app.delivery.drain()
    bot.clock.advance(hours=1)
    await bot.app.delivery.drain()
    assert (await bot.app.storage.outbox_counts()).get("failed") == 1
    assert "Chat not found" in caplog.text


async def test_each_chat_gets_its_messages_in_order(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident, photos=2, location=(34.64, 50.87))
    await bot.app.delivery.drain()
    assert [c.method for c in bot.api.sent_to(MUNICIPALITY_CHAT)] == [
        "sendPhoto",
        "sendPhoto",
        "sendLocation",
        "sendMessage",
    ]


async def test_the_worker_wakes_when_something_is_owed(tmp_path, resident):
    """The real background worker, not drain(): it sends without being asked."""
    harness = Harness(tmp_path / "w.db", agency_chats={"municipality": MUNICIPALITY_CHAT})
    harness.auto_deliver = False
    await harness.start()
    await harness.app.delivery.start()
    try:
        await register(harness, resident)
        await file_report(harness, resident)
        for _ in range(200):  # bounded: at most 2 s
            if (await harness.app.storage.outbox_counts()).get("sent") == 2:
                break
            await asyncio.sleep(0.01)
        assert await harness.app.storage.outbox_counts() == {"sent": 2}
        assert texts_fa.BUTTON_ACK in [
            label for label, _ in harness.api.sent_to(MUNICIPALITY_CHAT)[-1].buttons
        ]
    finally:
        await harness.stop()


def count_claims(bot, monkeypatch) -> list[int]:
    """Each claim the worker makes from now on, by the number of rows it took."""
    claims: list[int] = []
    real_claim = bot.app.storage.claim_due

    async def claim(limit: int):
        rows = await real_claim(limit)
        claims.append(len(rows))
        return rows

    monkeypatch.setattr(bot.app.storage, "claim_due", claim)
    return claims


async def test_a_chat_waiting_for_a_retry_leaves_the_worker_asleep(bot, resident, monkeypatch):
    """The group's first message waits 2 s for its retry, its card behind it: the background
    worker sleeps until then instead of asking the database again and again meanwhile."""
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident, photos=1)
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault(502, "Bad Gateway")
    claims = count_claims(bot, monkeypatch)
    worker = bot.app.delivery
    await worker.start()
    try:
        retry = bot.clock.now() + timedelta(seconds=2)
        await eventually(lambda: worker.wakes_at == retry)
        before = len(claims)
        await asyncio.sleep(0.2)  # real time: the old loop looked 20 times in it
        assert len(claims) == before
        assert await bot.app.storage.outbox_counts() == {"sent": 1, "pending": 2}
    finally:
        await worker.stop()


# ---------------------------------------------------------------- nothing owed is given up early


@pytest.mark.parametrize(
    "outage",
    [Fault(502, "Bad Gateway"), Fault(500, "Internal Server Error"), TIMED_OUT],
    ids=["502", "500", "timeout"],
)
async def test_network_trouble_is_retried_for_hours_without_giving_up(bot, resident, outage):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    bot.api.down = outage
    for _ in range(36):  # six hours, ten minutes apart: far more than 8 attempts
        await bot.app.delivery.drain()
        bot.clock.advance(minutes=10)
    assert await bot.app.storage.outbox_counts() == {"pending": 2}
    bot.api.down = None
    await bot.app.delivery.drain()
    assert await bot.app.storage.outbox_counts() == {"sent": 2}
    assert "گزارش شما ثبت شد" in bot.api.last_to(resident.id).text
    assert (await bot.app.storage.tickets_of_resident(resident.id, 1, 0))[0].status == "new"


async def test_retries_grow_to_ten_minutes_apart_and_no_further(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    bot.api.down = Fault(504, "Gateway Timeout")
    waits = []
    for _ in range(12):
        await bot.app.delivery.drain()
        due = await bot.app.storage.next_due()
        waits.append((due - bot.clock.now()).total_seconds())
        bot.clock.moment = due
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600]


async def test_what_is_owed_is_given_up_after_owed_message_days_and_someone_hears(
    bot, resident, caplog
):
    """The resident's notice: only logged (their chat is what fails). The card: the ticket goes
    to the facilitators' queue."""
    facilitator = Person(400001, "تسهیل‌گر")
    await bot.app.storage.grant_role(facilitator.id, "facilitator", "shahr_qaem", ADMIN.id)
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    for chat in (resident.id, MUNICIPALITY_CHAT):
        bot.api.chat_faults[chat] = Fault(502, "Bad Gateway")
    for _ in range(6):
        await bot.app.delivery.drain()
        bot.clock.advance(days=1)
    assert await bot.app.storage.outbox_counts() == {"pending": 2}  # six days on: still trying
    bot.clock.advance(days=1, minutes=10)
    await bot.app.delivery.drain()
    counts = await bot.app.storage.outbox_counts()
    assert counts["failed"] == 2
    assert "Giving up on message 1 to 111222333" in caplog.text
    ticket = (await bot.app.storage.tickets_of_resident(resident.id, 1, 0))[0]
    assert ticket.status == "queued"
    triage = bot.api.last_to(facilitator.id)
    assert texts_fa.UNDELIVERED_CAUSE["expired"] in triage.text


async def test_an_owed_message_days_setting_shortens_the_wait(tmp_path, resident):
    harness = Harness(tmp_path / "days.db", agency_chats={"municipality": MUNICIPALITY_CHAT})
    harness.settings = lambda: Harness.settings(harness).model_copy(
        update={"owed_message_days": 1}
    )
    await harness.start()
    try:
        await register(harness, resident)
        harness.auto_deliver = False
        await file_report(harness, resident)
        harness.api.down = TIMED_OUT
        await harness.app.delivery.drain()
        harness.clock.advance(days=1, seconds=1)
        await harness.app.delivery.drain()
        assert (await harness.app.storage.outbox_counts())["failed"] == 2
    finally:
        await harness.stop()


async def test_entities_telegram_cannot_parse_go_as_plain_text(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    bot.api.fail_next(
        "sendMessage", 400, 'Bad Request: can\'t parse entities: Unsupported start tag "3"'
    )
    await bot.app.delivery.drain()
    notice = bot.api.last_to(resident.id)
    assert notice.text.startswith("✅ گزارش شما ثبت شد.\nکد پیگیری: ")
    assert "<b>" not in notice.text
    assert "parse_mode" not in notice.params
    assert await bot.app.storage.outbox_counts() == {"sent": 2}


async def test_a_text_too_long_is_shortened(bot, resident):
    """A clerk's long answer, with the bot's heading around it, is longer than Telegram takes."""
    await register(bot, resident)
    await file_report(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    answer = "اکیپ فردا اعزام می‌شود. " * 170  # about 4,000 letters
    await bot.feed(in_group(MUNICIPALITY_CHAT, Person(300001, "کارمند"), answer, card.message_id))
    official = bot.api.last_to(resident.id)
    assert official.text.startswith("💬 پاسخ شهرداری قم به گزارش")
    assert official.text.endswith("…")
    assert len(official.text.encode("utf-16-le")) // 2 <= 4096
    assert (await bot.app.storage.outbox_counts()).get("failed") is None


async def test_an_announcement_copy_is_tried_until_the_announcements_deadline(bot):
    people = [Person(7100 + i, f"ساکن {i}") for i in range(3)]
    for person in people:
        await register(bot, person, "aminabad")
    bot.auto_deliver = False
    for person in people[:2]:
        bot.api.chat_faults[person.id] = Fault(502, "Bad Gateway")
    calls = await bot.send(ADMIN, "/broadcast")
    await bot.press(ADMIN, "bc:a:all", on=calls[-1])
    await bot.press(ADMIN, "bc:a:ok", on=calls[-1])
    await bot.app.delivery.drain()
    summary = (await bot.send(ADMIN, "جلسهٔ محله فردا ساعت ۱۰"))[-1]
    await bot.app.delivery.drain()
    await bot.press(ADMIN, "bc:send", on=summary)
    for _ in range(12):  # two hours of outage for two of them: more than 8 tries each
        await bot.app.delivery.drain()
        bot.clock.advance(minutes=10)
    await broadcasts.tick(bot.app)
    assert (await bot.app.storage.get_broadcast(1)).state == "sending"
    assert "⏳ مانده: ۲" in bot.api.last_to(ADMIN.id).text
    del bot.api.chat_faults[people[0].id]  # one comes back; the other stays away past the day
    await bot.app.delivery.drain()
    bot.clock.advance(hours=24)
    await bot.app.delivery.drain()
    await broadcasts.tick(bot.app)
    assert (await bot.app.storage.get_broadcast(1)).state == "done"
    progress = bot.api.last_to(ADMIN.id).text
    assert "✅ فرستاده: ۲ از ۳" in progress
    assert "⚠️ ناموفق: ۱" in progress


# ---------------------------------------------------------------- a full disk


async def claim_then_fill(bot, disk: DiskFull, monkeypatch) -> None:
    """The disk fills up between claiming messages and recording that they went out."""
    real_claim = bot.app.storage.claim_due

    async def claim(limit: int):
        rows = await real_claim(limit)
        disk.full = True
        return rows

    monkeypatch.setattr(bot.app.storage, "claim_due", claim)


async def test_a_full_disk_leaves_nothing_sending_and_is_logged_once(
    bot, resident, monkeypatch, caplog
):
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    disk = DiskFull(bot.app.storage, monkeypatch)
    await claim_then_fill(bot, disk, monkeypatch)
    before = len(bot.api.calls)
    await bot.app.delivery.drain()
    assert len(bot.api.calls) == before + 2  # both went out; neither could be recorded
    assert await bot.app.storage.outbox_counts() == {"sending": 2}
    for _ in range(20):
        bot.clock.advance(seconds=0.5)
        await bot.app.delivery.drain()
    assert disk.refused < 10  # paused, longer each time: not hundreds of tries
    monkeypatch.undo()  # room on the disk again
    bot.clock.advance(seconds=30)
    await bot.app.delivery.drain()
    assert await bot.app.storage.outbox_counts() == {"sent": 2}
    assert max(sends(bot).values()) == 1  # recorded late, not sent twice
    ticket = (await bot.app.storage.tickets_of_resident(resident.id, 1, 0))[0]
    assert ticket.card_message_id is not None
    errors = [r for r in caplog.records if r.name == "bot.delivery" and r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is None
    assert "database or disk is full" in errors[0].getMessage()
    assert "takes writes again" in caplog.text


async def settle() -> None:
    """Let the background worker run until it waits (no real time passes)."""
    for _ in range(50):
        await asyncio.sleep(0)


async def test_the_worker_backs_off_while_the_disk_is_full(bot, resident, monkeypatch, caplog):
    """The real background loop: one try, then a pause that grows; not a try every few ms."""
    await register(bot, resident)
    bot.auto_deliver = False
    await file_report(bot, resident)
    disk = DiskFull(bot.app.storage, monkeypatch)
    await bot.app.delivery.start()
    disk.full = True
    try:
        await settle()
        assert disk.refused == 1
        for pause in (1, 2, 4, 8):
            bot.app.storage.on_enqueue()  # something else is owed: still paused
            await settle()
            bot.clock.advance(seconds=pause - 0.5)
            bot.app.storage.on_enqueue()
            await settle()
            assert disk.refused == 1 + [1, 2, 4, 8].index(pause)
            bot.clock.advance(seconds=0.5)
            bot.app.storage.on_enqueue()
            await settle()
        assert disk.refused == 5
        disk.full = False
        bot.clock.advance(seconds=16)
        bot.app.storage.on_enqueue()
        for _ in range(200):  # bounded: at most 2 s
            if (await bot.app.storage.outbox_counts()).get("sent") == 2:
                break
            await asyncio.sleep(0.01)
        assert await bot.app.storage.outbox_counts() == {"sent": 2}
    finally:
        await bot.app.delivery.stop()
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


async def test_one_chat_gets_its_messages_in_order_even_when_telegram_answers_slowly(bot, resident):
    bot.auto_deliver = False
    await bot.app.storage.enqueue(
        [message(resident.id, f"پیام {i}") for i in range(3)] + [message(ADMIN.id, "دیگری")]
    )
    bot.api.held[resident.id] = asyncio.Event()  # the first answer to her is slow in coming
    draining = asyncio.create_task(bot.app.delivery.drain())
    await eventually(lambda: any(c.chat_id == ADMIN.id for c in bot.api.calls))
    assert [c.text for c in bot.api.waiting] == ["پیام 0"]  # the next waits for its answer
    bot.api.held[resident.id].set()
    await draining
    await bot.app.delivery.drain()
    assert [c.text for c in bot.api.sent_to(resident.id)] == ["پیام 0", "پیام 1", "پیام 2"]
