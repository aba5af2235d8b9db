"""An agency's group the bot cannot reach, reaches again, or that moved: no ticket is stranded."""

import logging

import pytest

from bot import sla, texts_fa
from tests.conftest import ADMIN, MUNICIPALITY_CHAT
from tests.flows import card_in, file_report, register
from tests.harness import Fault, Harness, Person, bot_membership, group_service

CLERK = Person(300001, "کارمند شهرداری")
FACILITATOR = Person(400001, "تسهیل‌گر")
NEIGHBOR = Person(222333444, "حسن")
SUPERGROUP = -1001234567890  # what the municipality's group became


async def latest_ticket(bot, person):
    return (await bot.app.storage.tickets_of_resident(person.id, 1, 0))[0]


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (Fault.kicked(), "blocked"),
        (Fault(400, "Bad Request: chat not found"), "gone"),
        (Fault(403, "Forbidden: the group chat was deactivated"), "blocked"),
    ],
)
async def test_a_card_the_group_cannot_receive_goes_to_the_facilitators(bot, resident, fault,
                                                                         cause):  # fmt: skip
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    await register(bot, resident)
    bot.api.chat_faults[MUNICIPALITY_CHAT] = fault
    await file_report(bot, resident)
    ticket = await latest_ticket(bot, resident)
    assert ticket.status == "queued"
    triage = bot.api.last_to(FACILITATOR.id)
    reason = texts_fa.QUEUE_REASON_UNDELIVERED.format(
        agency="شهرداری قم", cause=texts_fa.UNDELIVERED_CAUSE[cause]
    )
    assert reason in triage.text
    assert "زباله‌ها سه روز" in triage.text
    assert triage.data_for("ارجاع") == f"f:{ticket.id}:as"
    told = bot.api.last_to(resident.id).text  # the truth: it waits at the office
    assert texts_fa.STATUS["queued"] in told
    assert texts_fa.UNDELIVERED_RESIDENT.format(agency="شهرداری قم") in told
    events = await bot.app.storage.ticket_events(ticket.id)
    assert (events[-1].kind, events[-1].status, events[-1].actor_role) == (
        "unreachable", "queued", "system"
    )
    calls = await bot.send(FACILITATOR, "/queue")
    assert len(calls[-1].buttons) == 1
    calls = await bot.press(resident, f"r:{ticket.id}:v")
    assert "unreachable" not in calls[-1].text


async def test_without_facilitators_the_super_admins_hear_it(bot, resident):
    await register(bot, resident)
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.kicked()
    await file_report(bot, resident)
    assert "کارت گزارش به گروه «شهرداری قم» نرسید" in bot.api.last_to(ADMIN.id).text


async def test_only_tickets_waiting_at_that_agency_are_handed_back(bot, resident):
    """An acknowledged ticket stays with its agency (its staff can act from their own chats)."""
    await register(bot, resident)
    await file_report(bot, resident)
    first = await latest_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("دریافت شد"), on=card)
    await register(bot, NEIGHBOR)
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.kicked()
    await file_report(bot, NEIGHBOR, category="streets", text="چالهٔ بزرگ وسط خیابان اصلی است")
    assert (await bot.app.storage.get_ticket(first.id)).status == "acknowledged"
    assert (await latest_ticket(bot, NEIGHBOR)).status == "queued"


async def test_a_deadline_reminder_the_group_cannot_receive_hands_the_ticket_back(bot, resident):
    """A ticket whose card arrived before the bot was removed is not stranded either."""
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    await register(bot, resident)
    await file_report(bot, resident)
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.kicked()
    bot.clock.advance(hours=25)
    await sla.check_deadlines(bot.app)
    await bot.app.delivery.drain()
    assert (await latest_ticket(bot, resident)).status == "queued"
    assert "کارت گزارش به گروه «شهرداری قم» نرسید" in bot.api.last_to(FACILITATOR.id).text


async def test_the_bot_added_back_offers_the_groups_open_tickets_again(bot, resident, caplog):
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    await register(bot, resident)
    await register(bot, NEIGHBOR, "aminabad")
    await file_report(bot, resident)  # reaches the group, never acknowledged
    waiting = await latest_ticket(bot, resident)
    await file_report(bot, NEIGHBOR, category="water", text="لولهٔ آب سر کوچه ترکیده است")
    await bot.feed(bot_membership(MUNICIPALITY_CHAT, CLERK, "member", "kicked"))
    assert "بیرون گذاشته شد" in bot.api.last_to(ADMIN.id).text
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.kicked()
    await file_report(bot, resident, category="streets", text="چالهٔ بزرگ وسط خیابان اصلی است")
    handed = await latest_ticket(bot, resident)
    assert handed.status == "queued"
    await file_report(bot, resident, category="lighting", text="تیر چراغ برق کوچه کج شده است")
    del bot.api.chat_faults[MUNICIPALITY_CHAT]
    before = len(bot.api.sent_to(MUNICIPALITY_CHAT))

    caplog.set_level(logging.INFO)
    await bot.feed(bot_membership(MUNICIPALITY_CHAT, CLERK, "left", "member"))
    cards = [c for c in bot.api.sent_to(MUNICIPALITY_CHAT)[before:] if c.buttons]
    assert sorted(c.text.split("\n")[0] for c in cards) == sorted(
        f"🎫 <b>گزارش {bot.app.notices.code(t)}</b>" for t in (waiting, handed)
    )
    assert (await bot.app.storage.get_ticket(handed.id)).status == "new"
    assert texts_fa.STATUS["new"] in bot.api.last_to(resident.id).text
    assert "۲ گزارش باز دوباره" in bot.api.last_to(ADMIN.id).text
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("دریافت شد"), on=card)  # the card works
    assert (await bot.app.storage.get_ticket(handed.id)).status == "acknowledged"
    assert "offered again" in caplog.text


async def test_a_ticket_a_facilitator_moved_meanwhile_stays_where_they_put_it(bot, resident):
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    await register(bot, resident)
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.kicked()
    await file_report(bot, resident)
    ticket = await latest_ticket(bot, resident)
    await bot.press(FACILITATOR, f"f:{ticket.id}:cx:0")  # closed as a duplicate
    del bot.api.chat_faults[MUNICIPALITY_CHAT]
    await bot.feed(bot_membership(MUNICIPALITY_CHAT, CLERK, "kicked", "administrator"))
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "closed"
    assert "۰ گزارش باز دوباره" in bot.api.last_to(ADMIN.id).text


async def test_a_group_upgraded_to_a_supergroup_is_followed(bot, resident, caplog):
    await register(bot, resident)
    await file_report(bot, resident)
    old_card = card_in(bot, MUNICIPALITY_CHAT)
    earlier = await latest_ticket(bot, resident)
    bot.api.chat_faults[MUNICIPALITY_CHAT] = Fault.migrated(SUPERGROUP)
    await file_report(bot, resident, category="streets", text="چالهٔ بزرگ وسط خیابان اصلی است")
    later = await latest_ticket(bot, resident)

    cards = [c for c in bot.api.sent_to(SUPERGROUP) if c.buttons]
    codes = [c.text.split("\n")[0] for c in cards]
    assert sorted(codes) == sorted(
        f"🎫 <b>گزارش {bot.app.notices.code(t)}</b>" for t in (earlier, later)
    )
    assert (await bot.app.storage.get_ticket(later.id)).status == "new"
    assert (await bot.app.storage.get_ticket(earlier.id)).card_chat_id == SUPERGROUP
    links = await bot.app.storage.agency_links()
    assert links["municipality"].chat_id == SUPERGROUP
    assert f"chat {SUPERGROUP}" in caplog.text

    await bot.press(CLERK, old_card.data_for("دریافت شد"), on=cards[-1])  # pressed in the new one
    assert (await bot.app.storage.get_ticket(earlier.id)).status == "acknowledged"

    caplog.clear()
    caplog.set_level(logging.INFO)
    await bot.restart()  # the catalog still says the old id: the stored link wins, and says so
    assert f"Agency municipality receives tickets in chat {SUPERGROUP}, linked in the" in (
        caplog.text
    )
    await file_report(bot, resident, text="سطل زبالهٔ سر کوچه سوخته و شکسته است")
    assert card_in(bot, SUPERGROUP).text.count("سطل زبالهٔ سر کوچه") == 1


async def test_the_migration_message_in_the_group_updates_the_link(bot, resident):
    await register(bot, resident)
    moved = group_service(MUNICIPALITY_CHAT, CLERK, migrate_to_chat_id=SUPERGROUP)
    assert await bot.feed(moved) == []
    await bot.feed(group_service(SUPERGROUP, CLERK, migrate_from_chat_id=MUNICIPALITY_CHAT))
    assert (await bot.app.storage.agency_links())["municipality"].chat_id == SUPERGROUP
    await file_report(bot, resident)
    assert "زباله‌ها سه روز" in card_in(bot, SUPERGROUP).text
    assert not bot.api.sent_to(MUNICIPALITY_CHAT)
    calls = await bot.press(CLERK, card_in(bot, SUPERGROUP).data_for("دریافت شد"),
                            on=card_in(bot, SUPERGROUP))  # fmt: skip
    assert calls[0].params["text"] == texts_fa.DONE_SHORT


async def test_an_agency_chat_link_can_be_made_and_undone(tmp_path):
    """The capability a later "link this group" command will use."""
    harness = Harness(tmp_path / "links.db", agency_chats={"municipality": MUNICIPALITY_CHAT})
    await harness.start()
    try:
        app = harness.app
        await app.agency_chats.link(app.storage, "water", -100999, ADMIN.id, "from Telegram")
        assert app.agency_chats.chat_of("water") == -100999
        await harness.restart()
        app = harness.app
        assert app.agency_chats.chat_of("water") == -100999
        assert app.agency_chats.chat_of("municipality") == MUNICIPALITY_CHAT
        assert await app.agency_chats.unlink(app.storage, "water", ADMIN.id)
        assert app.agency_chats.chat_of("water") is None
        await harness.restart()
        assert harness.app.agency_chats.chat_of("water") is None
    finally:
        await harness.stop()
