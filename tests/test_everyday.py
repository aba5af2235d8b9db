"""Everyday resident interactions outside onboarding: menu, help, settings, the unexpected."""

import pytest

from bot import texts_fa
from bot.handlers import preferences
from tests.harness import Person, texts
from tests.test_onboarding import register

GROUP_ID = -1009876543210


def group_message(person: Person, text: str) -> dict:
    content = {
        "message_id": 77,
        "date": 1766300000,
        "chat": {"id": GROUP_ID, "type": "supergroup", "title": "گروه محله"},
        "from": person.json,
        "text": text,
    }
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": content}


async def test_help_works_before_and_after_registering(bot, resident):
    calls = await bot.send(resident, "/help")
    assert "راهنمای همیار محله" in calls[-1].text
    await register(bot, resident)
    calls = await bot.send(resident, texts_fa.MENU_HELP)
    assert "/cancel" in calls[-1].text


async def test_help_in_the_middle_of_onboarding_keeps_the_flow(bot, resident):
    await bot.send(resident, "/start")
    await bot.press(resident, "nb:shahr_qaem")
    calls = await bot.send(resident, "/help")
    assert "راهنمای همیار محله" in calls[-1].text
    calls = await bot.send(resident, texts_fa.BUTTON_SKIP_PHONE)
    assert calls[-1].text == texts_fa.REGISTERED


async def test_unexpected_messages_get_a_pointer(bot, resident):
    calls = await bot.send(resident, "سلام")
    assert calls[-1].text == texts_fa.NOT_REGISTERED
    await register(bot, resident)
    sticker = {
        "file_id": "CAACAgIAAxk",
        "file_unique_id": "AgAD",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    voice = {"file_id": "AwACAgQ", "file_unique_id": "AgADv", "duration": 4}
    for calls in (
        await bot.send(resident, "یه چیزی"),
        await bot.send_raw(resident, sticker=sticker),
        await bot.send_raw(resident, voice=voice),
        await bot.send(resident, "/nonsense"),
    ):
        assert calls[-1].text == texts_fa.USE_MENU
        assert texts_fa.MENU_REPORT in calls[-1].keyboard


async def test_cancel_outside_a_flow(bot, resident):
    await register(bot, resident)
    calls = await bot.send(resident, "/cancel")
    assert calls[-1].text == texts_fa.NOTHING_TO_CANCEL


async def test_menu_entries_not_built_yet_say_so(bot, resident):
    await register(bot, resident)
    calls = await bot.send(resident, texts_fa.MENU_SURVEYS)
    assert calls[-1].text == texts_fa.COMING_SOON


async def test_groups_stay_quiet(bot, resident):
    for text in ("سلام به همه", "/start", "/help", "/grant facilitator 1 shahr_qaem"):
        assert await bot.feed(group_message(resident, text)) == []


async def test_settings_change_neighborhood_and_phone(bot, resident):
    await register(bot, resident, "shahr_qaem", phone="09121234567")
    card = (await bot.send(resident, texts_fa.MENU_SETTINGS))[-1]
    assert "شهر قائم" in card.text
    assert "+989121234567" in card.text
    calls = await bot.press(resident, card.data_for("تغییر محله"), on=card)
    choose = calls[-1]
    assert choose.method == "editMessageText"
    calls = await bot.press(resident, choose.data_for("دروازه‌ری"), on=choose)
    assert "دروازه‌ری" in calls[-1].text
    assert (await bot.app.storage.get_resident(resident.id)).neighborhood == "darvazeh_rey"

    calls = await bot.press(resident, preferences.REMOVE_PHONE, on=calls[-1])
    assert texts_fa.NO_PHONE in calls[-1].text
    assert (await bot.app.storage.get_resident(resident.id)).phone is None
    card = calls[-1]

    calls = await bot.press(resident, card.data_for("ثبت شماره"), on=card)
    assert calls[-1].markup["keyboard"][0][0]["request_contact"] is True
    calls = await bot.send_contact(resident, "989351112233", owner_id=resident.id)
    assert calls[-1].text == texts_fa.PHONE_SAVED
    stored = await bot.app.storage.get_resident(resident.id)
    assert (stored.neighborhood, stored.phone) == ("darvazeh_rey", "+989351112233")


async def test_settings_buttons_of_someone_not_registered(bot, resident):
    calls = await bot.press(resident, preferences.CHANGE_NEIGHBORHOOD)
    assert texts_fa.NOT_REGISTERED in texts(calls)
    calls = await bot.press(resident, preferences.CHOOSE_PREFIX + "aminabad")
    assert texts_fa.NOT_REGISTERED in texts(calls)
    assert await bot.app.storage.get_resident(resident.id) is None


async def test_forged_settings_neighborhood(bot, resident):
    await register(bot, resident, "aminabad")
    calls = await bot.press(resident, preferences.CHOOSE_PREFIX + "x" * 40)
    assert calls[-1].params["text"] == texts_fa.BUTTON_INVALID
    assert (await bot.app.storage.get_resident(resident.id)).neighborhood == "aminabad"


async def test_unknown_button_has_expired(bot, resident):
    await register(bot, resident)
    calls = await bot.press(resident, "t:999:ack")
    assert calls[0].method == "answerCallbackQuery"
    assert calls[-1].text == texts_fa.BUTTON_EXPIRED
    assert texts_fa.MENU_REPORT in calls[-1].keyboard


async def test_blocking_and_coming_back(bot, resident):
    await register(bot, resident)
    member = {"status": "member", "user": {"id": 7000000001, "is_bot": True, "first_name": "b"}}
    kicked = {**member, "status": "kicked", "until_date": 0}
    change = {
        "chat": {"id": resident.id, "type": "private", "first_name": resident.first_name},
        "from": resident.json,
        "date": 1766300000,
        "old_chat_member": member,
        "new_chat_member": kicked,
    }
    await bot.feed({"my_chat_member": change})
    assert (await bot.app.storage.get_resident(resident.id)).active is False
    await bot.send(resident, "/start")
    assert (await bot.app.storage.get_resident(resident.id)).active is True


async def test_an_error_gets_a_polite_answer(bot, resident, monkeypatch, caplog):
    async def broken(user_id):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.app.storage, "get_resident", broken)
    with pytest.raises(AssertionError, match="disk on fire"):
        await bot.send(resident, "/start")
    assert bot.api.last_to(resident.id).text == texts_fa.ERROR
    assert "disk on fire" in caplog.text
    assert "Error while handling update" in caplog.text
    bot.errors.clear()


async def test_removal_from_an_agency_group_alerts_the_admins(bot):
    from tests.conftest import ADMIN, MUNICIPALITY_CHAT

    member = {"status": "member", "user": {"id": 7000000001, "is_bot": True, "first_name": "b"}}
    change = {
        "chat": {"id": MUNICIPALITY_CHAT, "type": "supergroup", "title": "شهرداری"},
        "from": {"id": 55, "is_bot": False, "first_name": "مدیر گروه"},
        "date": 1766300000,
        "old_chat_member": member,
        "new_chat_member": {**member, "status": "left"},
    }
    calls = await bot.feed({"my_chat_member": change})
    assert [c.chat_id for c in calls] == [ADMIN.id]
    assert "شهرداری قم" in calls[0].text
    other_group = {**change, "chat": {"id": -1009, "type": "supergroup", "title": "دیگر"}}
    assert await bot.feed({"my_chat_member": other_group}) == []
