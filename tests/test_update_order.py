"""Updates of different chats are handled side by side; one chat's updates keep their order."""

import asyncio

from bot import texts_fa
from tests.conftest import MUNICIPALITY_CHAT
from tests.flows import card_in, file_report, register
from tests.harness import Harness, Person


async def until(bot: Harness, condition) -> None:
    """Wait (5 s at most) until the Bot API has answered calls making `condition` true."""
    async with asyncio.timeout(5):
        while not condition():
            bot.api.answered.clear()
            await bot.api.answered.wait()


async def all_handled(bot: Harness) -> None:
    async with asyncio.timeout(5):
        await bot.app.update_queue.join()
    await bot.app.delivery.drain()


async def test_a_slow_chat_does_not_hold_up_the_others(bot, resident):
    neighbor = Person(222333444, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    bot.api.calls.clear()
    release = bot.api.held[resident.id] = asyncio.Event()  # the resident's replies hang
    try:
        await bot.arrive(bot.message(resident, text=texts_fa.MENU_HELP))
        await bot.arrive(bot.message(resident, text=texts_fa.MENU_REPORT))  # waits its turn
        await bot.arrive(bot.message(neighbor, text=texts_fa.MENU_REPORT))
        await until(bot, lambda: bot.api.sent_to(neighbor.id))
        assert bot.api.last_to(neighbor.id).text == texts_fa.ASK_CATEGORY
        assert bot.api.sent_to(resident.id) == []
        assert [call.text for call in bot.api.waiting] == [texts_fa.HELP]
    finally:
        release.set()
    await all_handled(bot)
    replies = [call.text for call in bot.api.sent_to(resident.id)]
    assert len(replies) == 2
    assert replies[1] == texts_fa.ASK_CATEGORY  # the help came first


async def test_two_clerks_pressing_one_card_at_once_act_once(bot, resident):
    clerks = [Person(900 + i, f"کارمند {i}") for i in range(2)]
    for clerk in clerks:
        await bot.app.storage.grant_role(clerk.id, "agency", "municipality", None)
    await register(bot, resident)
    await file_report(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    for clerk in clerks:
        await bot.arrive(bot.button_press(clerk, card.data_for(texts_fa.BUTTON_ACK), on=card))
    await all_handled(bot)
    (ticket,) = await bot.app.storage.tickets_of_resident(resident.id, 1, 0)
    events = await bot.app.storage.ticket_events(ticket.id)
    assert [e.actor_name for e in events if e.kind == "status"] == ["کارمند 0"]
    notices = [c.text for c in bot.api.sent_to(resident.id) if "👀 دریافت شد" in c.text]
    assert len(notices) == 1
