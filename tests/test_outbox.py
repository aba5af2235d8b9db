"""What a feature can ask of the outbox: a message held until its time (reminders), its own
messages withdrawn before they go out (a cancelled session)."""

import asyncio
from datetime import timedelta

import pytest

from bot import delivery, notices
from bot.outbox import Outgoing, held_until, reference, tagged
from tests.conftest import MUNICIPALITY_CHAT
from tests.flows import register
from tests.harness import FakeClock, Fault, Harness, Person, eventually
from tests.test_delivery import count_claims

REMINDER = "یادآوری: جلسهٔ محله فردا ساعت ۱۰"


def sent_texts(bot: Harness, person: Person) -> list[str]:
    return [call.text for call in bot.api.sent_to(person.id)]


async def owe_reminder(bot: Harness, person: Person, at: timedelta, worth_for: timedelta) -> None:
    """The reminder to `person`, held until `at` from now."""
    await owe_reminder_to(bot, person.id, at, worth_for)


async def owe_reminder_to(
    bot: Harness, chat_id: int, at: timedelta, worth_for: timedelta = timedelta(hours=2)
) -> None:
    reminder = notices.message(chat_id, REMINDER)
    moment = bot.clock.now() + at
    await bot.app.storage.enqueue([held_until(reminder, moment, worth_for=worth_for)])


async def test_a_held_message_goes_at_its_time_not_before_also_across_a_restart(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await owe_reminder(bot, resident, timedelta(days=1), worth_for=timedelta(hours=2))
    await bot.app.storage.enqueue([notices.message(resident.id, "پیام امروز")])
    await bot.app.delivery.drain()
    assert sent_texts(bot, resident)[-1] == "پیام امروز"  # not held up by the reminder before it
    assert REMINDER not in sent_texts(bot, resident)
    bot.clock.advance(hours=23, minutes=59)
    await bot.app.delivery.drain()
    assert REMINDER not in sent_texts(bot, resident)
    await bot.restart()
    await bot.app.delivery.drain()
    assert REMINDER not in sent_texts(bot, resident)
    bot.clock.advance(minutes=1)
    await bot.app.delivery.drain()
    assert sent_texts(bot, resident).count(REMINDER) == 1
    assert await bot.app.storage.outbox_counts() == {"sent": 2}


async def test_a_reminder_whose_moment_passed_while_the_bot_was_down_is_not_sent(
    bot, resident, caplog
):
    await register(bot, resident)
    bot.auto_deliver = False
    await owe_reminder(bot, resident, timedelta(hours=1), worth_for=timedelta(hours=2))
    await bot.stop()
    bot.clock.advance(hours=3, seconds=1)  # down from before its time until after its deadline
    await bot.start()
    await bot.app.storage.enqueue([notices.message(resident.id, "پیام امروز")])
    await bot.app.delivery.drain()
    assert REMINDER not in sent_texts(bot, resident)
    assert sent_texts(bot, resident)[-1] == "پیام امروز"
    counts = await bot.app.storage.outbox_counts()
    assert counts["failed"] == 1
    assert "not sent: its deadline" in caplog.text


async def test_within_its_deadline_a_late_reminder_still_goes(bot, resident):
    await register(bot, resident)
    bot.auto_deliver = False
    await owe_reminder(bot, resident, timedelta(hours=1), worth_for=timedelta(hours=2))
    bot.clock.advance(hours=2, minutes=59)
    await bot.app.delivery.drain()
    assert sent_texts(bot, resident)[-1] == REMINDER


async def test_the_worker_sleeps_until_a_held_message_is_due(bot, resident, monkeypatch):
    """The real background worker: it neither sends early nor looks every second, and wakes by
    itself at the held message's time (the fake clock is moved, real time waits that long)."""
    await register(bot, resident)
    bot.auto_deliver = False
    claims = await count_claims(bot, monkeypatch)
    worker = bot.app.delivery
    await worker.start()
    try:
        bot.clock.advance(seconds=0.7)  # moments are stored to the second: the next is 0.3 s away
        now = bot.clock.now()
        await owe_reminder(bot, resident, timedelta(days=1), worth_for=timedelta(hours=2))
        await eventually(lambda: worker.wakes_at == now + timedelta(seconds=delivery.IDLE_LOOK))
        soon = timedelta(seconds=0.3)
        await owe_reminder(bot, resident, soon, worth_for=timedelta(hours=2))
        await eventually(lambda: worker.wakes_at == now + soon)
        looked = len(claims)
        bot.clock.advance(seconds=0.3)
        await eventually(lambda: REMINDER in sent_texts(bot, resident))
        assert claims[looked:] == [1]  # woke once, at its time, and took it
        assert sent_texts(bot, resident).count(REMINDER) == 1  # the other waits for tomorrow
    finally:
        await worker.stop()


async def test_a_message_held_for_a_group_that_moved_keeps_its_time(bot):
    supergroup = -1009990001
    bot.auto_deliver = False
    await owe_reminder_to(bot, MUNICIPALITY_CHAT, timedelta(days=1))
    await bot.app.storage.enqueue([notices.message(MUNICIPALITY_CHAT, "پیام امروز")])
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.migrated(supergroup)
    await bot.app.delivery.drain()
    assert [c.text for c in bot.api.sent_to(supergroup)] == ["پیام امروز"]
    bot.clock.advance(days=1)
    await bot.app.delivery.drain()
    assert [c.text for c in bot.api.sent_to(supergroup)] == ["پیام امروز", REMINDER]


# ---------------------------------------------------------------- withdrawn by reference


async def test_a_feature_withdraws_its_own_unsent_messages_and_nothing_else(bot):
    people = [Person(7200 + i, f"ساکن {i}") for i in range(4)]
    for person in people:
        await register(bot, person)
    bot.auto_deliver = False
    storage = bot.app.storage
    tomorrow = bot.clock.now() + timedelta(days=1)

    def reminder(person: Person, text: str):
        return held_until(notices.message(person.id, text), tomorrow, worth_for=timedelta(hours=2))

    session = reference("session", 12)
    await storage.enqueue(
        tagged(reference("session", 12, "reminder"), [reminder(p, "جلسهٔ ۱۲") for p in people[:2]])
        + tagged(session, [notices.message(people[2].id, "ثبت‌نام شد")])  # goes out now
        + tagged(reference("session", 120, "reminder"), [reminder(people[0], "جلسهٔ ۱۲۰")])
        + tagged(reference("survey", 4), [reminder(people[1], "نظرسنجی ۴")])  # another feature
        + [reminder(people[3], "بی‌نشان")]  # no reference at all
    )
    await bot.app.delivery.drain()
    bot.api.held[people[3].id] = asyncio.Event()  # a slow network to her
    await storage.enqueue(tagged(session, [notices.message(people[3].id, "در راه")]))
    sending = asyncio.create_task(bot.app.delivery.drain())
    await eventually(lambda: bot.api.waiting)

    assert await storage.withdraw(session) == 2  # its two reminders, not what is on its way
    assert await storage.withdraw(session) == 0

    bot.api.held[people[3].id].set()
    await sending
    bot.clock.advance(days=1)
    await bot.app.delivery.drain()
    assert sent_texts(bot, people[0])[-1:] == ["جلسهٔ ۱۲۰"]
    assert sent_texts(bot, people[1])[-1:] == ["نظرسنجی ۴"]
    assert sent_texts(bot, people[2])[-1:] == ["ثبت‌نام شد"]
    assert sent_texts(bot, people[3])[-2:] == ["در راه", "بی‌نشان"]
    assert "جلسهٔ ۱۲" not in [text for p in people for text in sent_texts(bot, p)]
    assert (await storage.outbox_counts())["cancelled"] == 2


@pytest.mark.parametrize("parts", [(), ("session", ""), ("session:12",), ("session", " 12")])
def test_a_malformed_reference_is_refused(parts):
    with pytest.raises(ValueError, match="reference"):
        reference(*parts)


@pytest.mark.parametrize("text", ["", "session:", ":12", "session::reminder"])
def test_a_message_with_a_malformed_reference_is_refused(text):
    with pytest.raises(ValueError, match="reference"):
        Outgoing(1, "message", {"text": "…"}, reference=text)


def test_a_held_message_needs_a_deadline_after_its_time(resident):
    message = notices.message(resident.id, REMINDER)
    at = FakeClock().now()
    with pytest.raises(ValueError, match="needs a deadline"):
        Outgoing(resident.id, "message", message.payload, not_before=at)
    with pytest.raises(ValueError, match="after its time"):
        held_until(message, at, worth_for=timedelta(0))
