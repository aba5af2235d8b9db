"""A resident's first minutes: /start, neighborhood, phone, main menu — and what goes wrong."""

from bot import texts_fa
from bot.handlers.onboarding import CHOOSE_PREFIX
from tests.harness import texts

MENU = [texts_fa.MENU_REPORT, texts_fa.MENU_MY_REPORTS, texts_fa.MENU_SETTINGS]


async def register(bot, person, neighborhood="shahr_qaem", phone=None):
    calls = await bot.send(person, "/start")
    choose = calls[-1]
    await bot.press(person, CHOOSE_PREFIX + neighborhood, on=choose)
    if phone:
        return await bot.send_contact(person, phone, owner_id=person.id)
    return await bot.send(person, texts_fa.BUTTON_SKIP_PHONE)


async def test_start_welcomes_and_offers_neighborhoods(bot, resident):
    calls = await bot.send(resident, "/start")
    assert "همیار محله" in calls[0].text
    assert "زهرا" in calls[0].text
    choose = calls[-1]
    assert choose.text == texts_fa.ASK_NEIGHBORHOOD
    labels = [label for label, _ in choose.buttons]
    assert labels == ["شهر قائم", "اسماعیل‌آباد", "امین‌آباد", "دروازه‌ری"]


async def test_full_onboarding_with_phone(bot, resident):
    choose = (await bot.send(resident, "/start"))[-1]
    calls = await bot.press(resident, choose.data_for("امین‌آباد"), on=choose)
    edited = next(c for c in calls if c.method == "editMessageText")
    assert "امین‌آباد" in edited.text
    ask_phone = calls[-1]
    assert "فقط تسهیل‌گران" in ask_phone.text  # the privacy notice
    assert ask_phone.markup["keyboard"][0][0]["request_contact"] is True
    assert texts_fa.BUTTON_SKIP_PHONE in ask_phone.keyboard

    calls = await bot.send_contact(resident, "989121234567", owner_id=resident.id)
    assert calls[-1].text == texts_fa.REGISTERED
    assert all(label in calls[-1].keyboard for label in MENU)
    stored = await bot.app.storage.get_resident(resident.id)
    assert stored.neighborhood == "aminabad"
    assert stored.phone == "+989121234567"


async def test_contact_of_someone_else_is_refused(bot, resident):
    choose = (await bot.send(resident, "/start"))[-1]
    await bot.press(resident, choose.data_for("شهر قائم"), on=choose)
    calls = await bot.send_contact(resident, "09351112233", owner_id=424242)
    assert calls[-1].text == texts_fa.PHONE_NOT_YOURS
    calls = await bot.send_contact(resident, "09351112233", owner_id=None)
    assert calls[-1].text == texts_fa.PHONE_NOT_YOURS
    assert await bot.app.storage.get_resident(resident.id) is None
    calls = await bot.send(resident, texts_fa.BUTTON_SKIP_PHONE)
    assert calls[-1].text == texts_fa.REGISTERED
    assert (await bot.app.storage.get_resident(resident.id)).phone is None


async def test_typing_instead_of_buttons_is_re_asked(bot, resident):
    await bot.send(resident, "/start")
    calls = await bot.send(resident, "شهر قائم")
    assert calls[-1].text == texts_fa.NEIGHBORHOOD_USE_BUTTON
    assert len(calls[-1].buttons) == 4
    await bot.press(resident, CHOOSE_PREFIX + "shahr_qaem")
    calls = await bot.send(resident, "09121234567")
    assert calls[-1].text == texts_fa.PHONE_USE_BUTTON


async def test_forged_neighborhood_changes_nothing(bot, resident):
    await bot.send(resident, "/start")
    calls = await bot.press(resident, CHOOSE_PREFIX + "nowhere")
    assert calls[-1].method == "answerCallbackQuery"
    assert calls[-1].params["text"] == texts_fa.BUTTON_INVALID
    calls = await bot.press(resident, CHOOSE_PREFIX + "darvazeh_rey")
    assert "دروازه‌ری" in texts(calls)


async def test_deep_link_preselects_neighborhood(bot, resident):
    calls = await bot.send(resident, "/start n_darvazeh_rey")
    assert "دفتر تسهیل‌گری دروازه‌ری" in texts(calls)
    assert calls[-1].markup["keyboard"][0][0]["request_contact"] is True
    await bot.send(resident, texts_fa.BUTTON_SKIP_PHONE)
    assert (await bot.app.storage.get_resident(resident.id)).neighborhood == "darvazeh_rey"


async def test_unknown_deep_link_falls_back_to_the_choice(bot, resident):
    calls = await bot.send(resident, "/start n_atlantis")
    assert calls[-1].text == texts_fa.ASK_NEIGHBORHOOD


async def test_start_again_never_duplicates(bot, resident):
    await register(bot, resident, "esmaeilabad")
    calls = await bot.send(resident, "/start")
    assert "خوش برگشتید" in calls[-1].text
    assert "اسماعیل‌آباد" in calls[-1].text
    assert texts_fa.MENU_REPORT in calls[-1].keyboard
    calls = await bot.send(resident, "/start n_aminabad")
    assert "امین‌آباد" in calls[-1].text
    stored = await bot.app.storage.get_resident(resident.id)
    assert stored.neighborhood == "aminabad"
    assert await bot.app.storage.count_residents() == 1


async def test_cancel_mid_flow(bot, resident):
    await bot.send(resident, "/start")
    calls = await bot.send(resident, "/cancel")
    assert calls[-1].text == texts_fa.CANCELLED_NOT_REGISTERED
    assert calls[-1].markup.get("remove_keyboard") is True
    # The flow is over: its old button has expired.
    calls = await bot.press(resident, CHOOSE_PREFIX + "shahr_qaem")
    assert texts_fa.BUTTON_EXPIRED in texts(calls)
    assert await bot.app.storage.get_resident(resident.id) is None


async def test_restart_mid_onboarding_resumes(bot, resident):
    choose = (await bot.send(resident, "/start"))[-1]
    await bot.press(resident, choose.data_for("اسماعیل‌آباد"), on=choose)
    await bot.restart()
    calls = await bot.send_contact(resident, "+98 912 765 4321", owner_id=resident.id)
    assert calls[-1].text == texts_fa.REGISTERED
    stored = await bot.app.storage.get_resident(resident.id)
    assert (stored.neighborhood, stored.phone) == ("esmaeilabad", "+989127654321")


async def test_restart_while_choosing_keeps_the_buttons_working(bot, resident):
    choose = (await bot.send(resident, "/start"))[-1]
    await bot.restart()
    calls = await bot.press(resident, choose.data_for("شهر قائم"), on=choose)
    assert calls[-1].markup["keyboard"][0][0]["request_contact"] is True


async def test_abandoned_onboarding_is_dropped_after_restart(bot, resident):
    choose = (await bot.send(resident, "/start"))[-1]
    await bot.stop()
    bot.clock.advance(hours=25)
    await bot.start()
    calls = await bot.press(resident, choose.data_for("شهر قائم"), on=choose)
    assert texts_fa.BUTTON_EXPIRED in texts(calls)
