"""What a feature can ask of the outbox: a message held until its time (reminders)."""

from datetime import timedelta

from bot import delivery, notices
from bot.outbox import held_until
from tests.flows import register
from tests.harness import Harness, Person, eventually
from tests.test_delivery import count_claims

REMINDER = "یادآوری: جلسهٔ محله فردا ساعت ۱۰"


def sent_texts(bot: Harness, person: Person) -> list[str]:
    return [call.text for call in bot.api.sent_to(person.id)]


async def owe_reminder(bot: Harness, person: Person, at: timedelta, worth_for: timedelta) -> None:
    """The reminder to `person`, held until `at` from now."""
    reminder = notices.message(person.id, REMINDER)
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
