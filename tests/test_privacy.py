"""Nobody reads what is not theirs: «من هم» joins only the ticket the bot offered, never an
unreviewed or partly hidden one, and a supporter sees the problem, not its owner's words."""

from bot import texts_fa
from bot.storage import Actor
from tests.conftest import ADMIN, MUNICIPALITY_CHAT
from tests.flows import back, card_in, file_report, register
from tests.harness import Person

SECRET = "اجارهٔ سه ماه عقب افتاده و صاحبخانه تهدید به تخلیه کرده است"


async def first_ticket(bot, person):
    return (await bot.app.storage.tickets_of_resident(person.id, 1, 0))[0]


async def test_a_forged_join_reaches_no_other_ticket(bot, resident):
    victim, attacker = Person(610, "نرگس"), Person(620, "مهاجم")
    await register(bot, victim)
    await register(bot, resident)
    await register(bot, attacker)
    await file_report(bot, victim, category="streets", text=SECRET)  # same neighborhood, open
    secret = await first_ticket(bot, victim)
    await file_report(bot, resident)
    offer = (await file_report(bot, attacker))[-1]  # offered the resident's waste ticket
    assert "گزارش مشابهی" in offer.text
    calls = await bot.press(attacker, f"rp:j:{secret.id}", on=offer)  # the old, id-bearing data
    assert texts_fa.BUTTON_EXPIRED in "".join(c.text or c.params.get("text", "") for c in calls)
    assert not await bot.app.storage.is_follower(secret.id, attacker.id)
    assert all(SECRET not in c.text for c in bot.api.sent_to(attacker.id))
    await bot.press(attacker, "rp:j", on=offer)  # the real button: the offered ticket only
    own = await first_ticket(bot, resident)
    assert await bot.app.storage.is_follower(own.id, attacker.id)
    assert not await bot.app.storage.is_follower(secret.id, attacker.id)


async def test_an_unreviewed_ticket_is_never_offered(bot, resident):
    neighbor = Person(630, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident, category="livelihood", text=SECRET)  # review first
    calls = await file_report(bot, neighbor, category="livelihood", text="وضع معیشت خانواده‌ها")
    assert "گزارش مشابهی" not in "".join(c.text for c in calls)
    assert "گزارش شما ثبت شد" in bot.api.last_to(neighbor.id).text


async def test_a_ticket_with_hidden_parts_is_never_offered(bot, resident, monkeypatch):
    neighbor = Person(640, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident, text=SECRET)
    ticket = await first_ticket(bot, resident)
    facilitator = Actor(1, "تسهیل‌گر", "facilitator")
    await bot.app.storage.update_ticket(
        ticket.id, facilitator, "hide", lambda changed, followers: [], hidden_text=True
    )
    calls = await file_report(bot, neighbor)
    assert "گزارش مشابهی" not in "".join(c.text for c in calls)


async def test_a_supporter_sees_the_problem_not_its_owners_words(bot, resident):
    neighbor = Person(650, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident, text=SECRET)
    await back(bot, neighbor)
    ticket = await first_ticket(bot, resident)
    page = (await bot.press(neighbor, f"r:{ticket.id}:v"))[-1]
    assert texts_fa.STATUS["new"] in page.text
    assert SECRET not in page.text
    owner_page = (await bot.press(resident, f"r:{ticket.id}:v"))[-1]
    assert SECRET in owner_page.text
    assert card_in(bot, MUNICIPALITY_CHAT)


async def add_info(bot, person, ticket, text):
    await bot.press(person, f"r:{ticket.id}:i")
    return await bot.send(person, text)


async def test_additions_to_a_ticket_with_hidden_parts_go_to_the_facilitators(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await first_ticket(bot, resident)
    facilitator = Actor(ADMIN.id, "تسهیل‌گر", "facilitator")
    await bot.app.storage.update_ticket(
        ticket.id, facilitator, "hide", lambda changed, followers: [], hidden_text=True
    )
    await add_info(bot, resident, ticket, "نام همسایه‌ام آقای فلانی است")
    assert all("آقای فلانی" not in c.text for c in bot.api.sent_to(MUNICIPALITY_CHAT))
    to_office = bot.api.last_to(ADMIN.id).text  # no facilitator yet: the super-admins
    assert "آقای فلانی" in to_office
    assert "به دستگاه فرستاده نشد" in to_office


async def test_a_muted_residents_additions_do_not_reach_the_agency(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await first_ticket(bot, resident)
    await bot.app.storage.set_muted(resident.id, True)
    await add_info(bot, resident, ticket, "حرف‌های ناروا به کارمند دستگاه")
    assert all("ناروا" not in c.text for c in bot.api.sent_to(MUNICIPALITY_CHAT))
    assert "ناروا" in bot.api.last_to(ADMIN.id).text


async def test_one_resident_cannot_flood_the_agency_group(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await first_ticket(bot, resident)
    for i in range(7):
        calls = await add_info(bot, resident, ticket, f"توضیح شمارهٔ {i} دربارهٔ همین مشکل")
    relayed = [c for c in bot.api.sent_to(MUNICIPALITY_CHAT) if "توضیح شمارهٔ" in c.text]
    assert len(relayed) == 5
    assert "لطفاً کمی بعد" in calls[-1].text
    bot.clock.advance(hours=1)
    await add_info(bot, resident, ticket, "یک ساعت بعد: هنوز همان وضع است")
    assert "یک ساعت بعد" in bot.api.last_to(MUNICIPALITY_CHAT).text
