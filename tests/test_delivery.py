"""The outbox worker: nothing owed is lost, nothing is sent twice but what was in flight."""

from collections import Counter

import pytest

from bot import texts_fa
from tests.conftest import MUNICIPALITY_CHAT
from tests.flows import file_report, register


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
    import asyncio

    from tests.harness import Harness

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
