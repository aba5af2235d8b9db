"""Names from Telegram go into HTML messages escaped: «<3 Ali» registers, «Tom & Jerry» reads as
typed, wherever a name appears (to the person, on a staff card, in a ticket's history).

The stand-in Bot API refuses HTML that Telegram would refuse (`html_problem`), as Telegram does
for the whole message; `Call.visible` is the text as the person reads it."""

from bot import texts_fa
from tests.conftest import MUNICIPALITY_CHAT
from tests.flows import card_in, file_report, register
from tests.harness import Person, html_problem
from tests.test_agency import CLERK, FACILITATOR, in_group, setup_ticket

HEART = Person(111000111, "<3 Ali")
TOM = Person(111000222, "Tom & Jerry")


def test_the_stand_in_refuses_what_telegram_refuses():
    assert html_problem("سلام <3 Ali") is not None
    assert html_problem("Tom & Jerry") is not None
    assert html_problem("<b>x</b> <i>y") is not None
    assert html_problem("<script>x</script>") is not None
    assert html_problem("<b>سلام</b> &lt;3 &amp; <code>1</code> <a href='x'>y</a>") is None


async def test_a_name_with_a_less_than_sign_registers_and_is_greeted_by_it(bot):
    calls = await bot.send(HEART, "/start")
    welcome = calls[0]
    assert welcome.visible.startswith("سلام <3 Ali،")
    await register(bot, HEART)
    assert (await bot.app.storage.get_resident(HEART.id)).first_name == "<3 Ali"
    calls = await bot.send(HEART, "/start")
    assert "خوش برگشتید <3 Ali!" in calls[-1].visible


async def test_a_residents_name_on_the_cards_staff_read(bot):
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", CLERK.id)
    await register(bot, TOM, phone="09121234567")
    await file_report(bot, TOM, share=True)
    assert "👤 گزارش‌دهنده: Tom & Jerry" in card_in(bot, MUNICIPALITY_CHAT).visible
    ticket = (await bot.app.storage.tickets_of_resident(TOM.id, 1, 0))[0]
    calls = await bot.send(FACILITATOR, f"/ticket {ticket.code}")
    assert "👤 گزارش‌دهنده: Tom & Jerry" in calls[-1].visible


async def test_a_staff_members_name_on_the_card_and_in_the_residents_history(bot, resident):
    clerk = Person(CLERK.id, "<b>Boss</b> & Co")
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    calls = await bot.press(clerk, card.data_for(texts_fa.BUTTON_ACK), on=card)
    edit = next(c for c in calls if c.method == "editMessageText")
    assert "— <b>Boss</b> & Co" in edit.visible
    await bot.feed(in_group(MUNICIPALITY_CHAT, clerk, "فردا می‌آییم", card.message_id))
    calls = await bot.press(resident, f"r:{ticket.id}:v")
    assert "<b>Boss</b> & Co" in calls[-1].visible
