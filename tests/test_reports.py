"""The resident's side of a report: the flow, its checks, the 'me too' offer, my reports."""

import pytest

from bot import texts_fa
from bot.jalali import format_date, format_datetime
from bot.persian import to_persian_digits
from bot.tickets import format_code
from tests.conftest import MUNICIPALITY_CHAT, WATER_CHAT
from tests.flows import PHOTO, back, card_in, file_report, register
from tests.harness import Call, DiskFull, Person, texts


async def stored_ticket(bot, person):
    found = await bot.app.storage.tickets_of_resident(person.id, 1, 0)
    return found[0] if found else None


async def test_full_report_without_photos_reaches_the_agency(bot, resident):
    await register(bot, resident)
    calls = await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    assert ticket.status == "new"
    assert ticket.agency == "municipality"
    code = f"{to_persian_digits(ticket.code[:3])}-{to_persian_digits(ticket.code[3:])}"
    confirmation = bot.api.last_to(resident.id)
    assert "گزارش شما ثبت شد" in confirmation.text
    assert code in confirmation.text
    assert "شهرداری قم" in confirmation.text
    assert texts_fa.MENU_REPORT in confirmation.keyboard  # the main menu is back
    card = card_in(bot, MUNICIPALITY_CHAT)
    assert code in card.text
    assert "زباله‌ها سه روز است جمع نشده" in card.text
    assert "شهر قائم" in card.text
    assert "زهرا" not in card.text  # not shared
    assert {label for label, _ in card.buttons} == {
        texts_fa.BUTTON_ACK,
        texts_fa.BUTTON_PROGRESS,
        texts_fa.BUTTON_RESOLVED,
        texts_fa.BUTTON_NOT_OURS,
        texts_fa.BUTTON_CANNED,
    }
    assert (await stored_ticket(bot, resident)).card_message_id == card.message_id
    assert calls  # the confirm press was answered


async def test_report_with_photos_location_and_shared_contact(bot, resident):
    await register(bot, resident, phone="09121234567")
    await file_report(bot, resident, photos=2, location=(34.6399, 50.8759), share=True)
    sent = bot.api.sent_to(MUNICIPALITY_CHAT)
    assert [c.method for c in sent] == ["sendPhoto", "sendPhoto", "sendLocation", "sendMessage"]
    assert sent[0].params["photo"] == "AgACbig"  # the largest size
    assert sent[2].params["latitude"] == 34.6399
    assert "زهرا" in sent[-1].text
    assert "+989121234567" in sent[-1].text


async def test_three_photos_skip_straight_to_location(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:streets")
    await bot.send(resident, "چاله بزرگ وسط کوچه شانزده")
    await bot.send_raw(resident, photo=PHOTO)
    calls = await bot.send_raw(resident, photo=PHOTO)
    assert "۲ از ۳" in calls[-1].text
    calls = await bot.send_raw(resident, photo=PHOTO)
    assert calls[-1].text == texts_fa.ASK_LOCATION
    calls = await bot.send(resident, "کوچه شانزده، جنب نانوایی")
    review = calls[-1]
    assert "۳ مورد" in review.text
    assert "کوچه شانزده، جنب نانوایی" in review.text


async def test_description_checks(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    calls = await bot.send(resident, "بد است")
    assert "کوتاه" in calls[-1].text
    calls = await bot.send(resident, "ا" * 2001)
    assert "۲۰۰۱" in calls[-1].text
    sticker = {"file_id": "CAAC", "file_unique_id": "x", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    calls = await bot.send_raw(resident, sticker=sticker)
    assert calls[-1].text == texts_fa.DESCRIPTION_WRONG_TYPE
    document = {"file_id": "BQAC", "file_unique_id": "d", "file_name": "a.pdf"}
    calls = await bot.send_raw(resident, document=document)
    assert calls[-1].text == texts_fa.DESCRIPTION_WRONG_TYPE
    long_voice = {"file_id": "AwAC", "file_unique_id": "v", "duration": 181}
    calls = await bot.send_raw(resident, voice=long_voice)
    assert calls[-1].text == texts_fa.VOICE_TOO_LONG
    calls = await bot.send_raw(resident, voice={**long_voice, "duration": 95})
    assert "عکس یا فیلم" in calls[-1].text  # moved on to the media step


async def test_voice_report_reaches_the_agency_as_voice(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    await bot.send_raw(
        resident, voice={"file_id": "AwACvoice", "file_unique_id": "v", "duration": 40}
    )
    await bot.send(resident, texts_fa.BUTTON_CONTINUE)
    review = (await bot.send(resident, texts_fa.BUTTON_SKIP))[-1]
    assert texts_fa.VOICE_DESCRIPTION in review.text
    await bot.press(resident, "rp:ok", on=review)
    sent = bot.api.sent_to(MUNICIPALITY_CHAT)
    assert sent[0].method == "sendVoice"
    assert sent[0].params["voice"] == "AwACvoice"
    assert texts_fa.CARD_VOICE in sent[-1].text


async def test_photo_caption_is_the_description(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    calls = await bot.send_raw(resident, photo=PHOTO, caption="سطل زباله سر کوچه شکسته است")
    assert "۱ از ۳" in calls[-1].text
    await bot.send(resident, texts_fa.BUTTON_CONTINUE)
    review = (await bot.send(resident, texts_fa.BUTTON_SKIP))[-1]
    assert "سطل زباله سر کوچه شکسته است" in review.text


async def test_markup_in_the_description_is_shown_literally(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident, text="<b>فوری</b> & <a href='x'>لینک</a> زباله")
    card = card_in(bot, MUNICIPALITY_CHAT)
    assert "&lt;b&gt;فوری&lt;/b&gt; &amp; &lt;a href='x'&gt;" in card.text
    assert "<b>فوری</b>" not in card.text


async def test_edit_from_the_review_card(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    await bot.send(resident, "زباله‌ها جمع نشده است امروز")
    await bot.send(resident, texts_fa.BUTTON_CONTINUE)
    review = (await bot.send(resident, texts_fa.BUTTON_SKIP))[-1]
    await bot.press(resident, "rp:ed", on=review)
    calls = await bot.press(resident, "rp:e:desc")
    assert calls[-1].text == texts_fa.ASK_DESCRIPTION
    review = (await bot.send(resident, "زباله‌ها یک هفته است جمع نشده"))[-1]
    assert "یک هفته" in review.text
    await bot.press(resident, "rp:ed", on=review)
    await bot.press(resident, "rp:e:cat")
    review = (await bot.press(resident, "rp:c:water"))[-1]
    assert "آب و فاضلاب" in review.text
    await bot.press(resident, "rp:ok", on=review)
    ticket = await stored_ticket(bot, resident)
    assert (ticket.category, ticket.description) == ("water", "زباله‌ها یک هفته است جمع نشده")


async def test_cancel_in_the_middle_and_the_stale_review_button(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    calls = await bot.send(resident, texts_fa.BUTTON_CANCEL)
    assert calls[-1].text == texts_fa.REPORT_CANCELLED
    calls = await bot.press(resident, "rp:ok")
    assert texts_fa.BUTTON_EXPIRED in texts(calls)
    assert await stored_ticket(bot, resident) is None


async def test_menu_button_in_the_middle_ends_the_flow(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    calls = await bot.send(resident, texts_fa.MENU_MY_REPORTS)
    assert calls[-1].text == texts_fa.FLOW_INTERRUPTED


async def test_restart_in_the_middle_of_a_report_resumes(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    await bot.send(resident, "زباله‌ها سه روز است جمع نشده")
    await bot.restart()
    await bot.send_raw(resident, photo=PHOTO)
    await bot.send(resident, texts_fa.BUTTON_CONTINUE)
    review = (await bot.send(resident, texts_fa.BUTTON_SKIP))[-1]
    assert "سه روز" in review.text
    assert "۱ مورد" in review.text
    await bot.press(resident, "rp:ok", on=review)
    assert (await stored_ticket(bot, resident)).status == "new"


async def test_forged_category(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    calls = await bot.press(resident, "rp:c:weapons")
    assert calls[-1].params["text"] == texts_fa.BUTTON_INVALID


async def test_daily_limit(bot, resident):
    await register(bot, resident)
    for n in range(5):
        await file_report(bot, resident, text=f"مشکل شماره {n} در کوچه ما")
    calls = await bot.send(resident, texts_fa.MENU_REPORT)
    assert "۵ گزارش" in calls[-1].text
    bot.clock.advance(days=1)
    calls = await bot.send(resident, texts_fa.MENU_REPORT)
    assert calls[-1].text == texts_fa.ASK_CATEGORY


async def test_me_too_instead_of_a_duplicate(bot, resident):
    neighbor = Person(222333444, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident, location=(34.6400, 50.8760))
    first = await stored_ticket(bot, resident)
    calls = await file_report(
        bot, neighbor, text="باز هم زباله جمع نشده", location=(34.6405, 50.8762)
    )
    offer = calls[-1]
    assert "گزارش مشابهی" in offer.text
    calls = await bot.press(neighbor, offer.data_for("من هم"), on=offer)
    assert "به گزارش" in bot.api.last_to(neighbor.id).text
    assert "۲ نفر" in bot.api.last_to(neighbor.id).text
    ticket = await bot.app.storage.get_ticket(first.id)
    assert ticket.supporters == 1
    since = bot.clock.now().replace(year=2000)
    _, reports = await bot.app.storage.resident_and_reports_since(neighbor.id, since)
    assert reports == 0
    edit = [c for c in bot.api.sent_to(MUNICIPALITY_CHAT) if c.method == "editMessageText"][-1]
    assert "همراهان: ۱" in edit.text
    # The supporter follows it: it is in their list.
    calls = await bot.send(neighbor, texts_fa.MENU_MY_REPORTS)
    assert len(calls[-1].buttons) == 1


async def test_a_near_report_is_found_behind_many_newer_far_ones(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident, location=(34.6400, 50.8760))
    for i in range(21):  # newer open reports of the same kind, each ~1 km or more away
        other = Person(500 + i, f"ساکن {i}")
        await register(bot, other)
        calls = await file_report(bot, other, location=(34.65 + i * 0.01, 50.8760))
        assert "گزارش مشابهی" not in calls[-1].text
    neighbor = Person(222333444, "حسن")
    await register(bot, neighbor)
    calls = await file_report(bot, neighbor, location=(34.6405, 50.8762))
    assert "گزارش مشابهی" in calls[-1].text
    first = await stored_ticket(bot, resident)
    assert format_code(first.code) in calls[-1].text  # the offer names the near one


async def test_far_apart_is_not_a_duplicate(bot, resident):
    neighbor = Person(222333444, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident, location=(34.6400, 50.8760))
    calls = await file_report(bot, neighbor, location=(34.6500, 50.8760))  # ~1.1 km
    assert "گزارش شما ثبت شد" in bot.api.last_to(neighbor.id).text
    assert "گزارش مشابهی" not in texts(calls)


async def test_duplicate_declined_files_a_new_ticket(bot, resident):
    neighbor = Person(222333444, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident)
    offer = (await file_report(bot, neighbor))[-1]
    await bot.press(neighbor, offer.data_for("مشکل دیگری"), on=offer)
    assert (await stored_ticket(bot, neighbor)).resident_id == neighbor.id


async def test_my_reports_pages_and_history(bot, resident):
    await register(bot, resident)
    for day in range(7):
        await file_report(bot, resident, text=f"مشکل روز {day} در محله ما")
        bot.clock.advance(days=1)
    calls = await bot.send(resident, texts_fa.MENU_MY_REPORTS)
    page = calls[-1]
    assert "صفحهٔ ۱ از ۲" in page.text
    assert len(page.buttons) == 6  # five tickets and «next»
    calls = await bot.press(resident, page.data_for("بعدی"), on=page)
    assert "صفحهٔ ۲ از ۲" in calls[-1].text
    newest = await stored_ticket(bot, resident)
    calls = await bot.press(resident, f"r:{newest.id}:v", on=page)
    assert "مشکل روز 6 در محله ما" in calls[-1].text
    assert texts_fa.EVENT_CREATED in calls[-1].text


async def test_someone_elses_ticket_page_is_refused(bot, resident):
    stranger = Person(55555, "غریبه")
    await register(bot, resident)
    await register(bot, stranger)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    for data in (f"r:{ticket.id}:v", f"r:{ticket.id}:i", f"r:{ticket.id}:n", f"r:{ticket.id}:y"):
        calls = await bot.press(stranger, data)
        assert calls[-1].params["text"] == texts_fa.NOT_YOUR_TICKET
        assert calls[-1].params["show_alert"] is True
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "new"


async def test_add_information_reaches_the_agency(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    await bot.press(resident, f"r:{ticket.id}:i")
    calls = await bot.send(resident, "امروز بدتر هم شده است")
    assert "اضافه شد" in texts(calls)
    relayed = bot.api.last_to(MUNICIPALITY_CHAT)
    assert "امروز بدتر هم شده است" in relayed.text
    assert relayed.params["reply_parameters"]["message_id"] == ticket.card_message_id


async def test_a_flow_left_idle_for_a_day_ends_at_the_next_message(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    bot.clock.advance(hours=23)  # within the day: the flow goes on
    calls = await bot.send(resident, "زباله‌ها سه روز است جمع نشده")
    assert texts_fa.ASK_MEDIA.split("{")[0] in texts(calls)
    bot.clock.advance(hours=25)
    calls = await bot.send(resident, texts_fa.BUTTON_CONTINUE)
    assert calls[-1].text == texts_fa.FLOW_EXPIRED
    assert texts_fa.MENU_REPORT in calls[-1].keyboard
    # The flow is over: the next text is not taken as part of a report.
    calls = await bot.send(resident, "کوچهٔ شانزده")
    assert calls[-1].text == texts_fa.USE_MENU
    assert await stored_ticket(bot, resident) is None


async def test_an_idle_flow_also_ends_after_a_restart(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    categories = (await bot.press(resident, "rp:c:waste"))[-1]
    await bot.restart()
    bot.clock.advance(hours=2)
    calls = await bot.send(resident, "زباله‌ها سه روز است جمع نشده")  # resumed
    assert texts_fa.ASK_MEDIA.split("{")[0] in texts(calls)
    await bot.restart()
    bot.clock.advance(hours=30)
    calls = await bot.press(resident, "rp:ok", on=categories)
    assert texts_fa.FLOW_EXPIRED in texts(calls)


# ---------------------------------------------------------------- my reports: the list and a page


async def test_my_reports_before_registering_and_before_any_report(bot, resident):
    calls = await bot.send(resident, texts_fa.MENU_MY_REPORTS)
    assert calls[-1].text == texts_fa.NOT_REGISTERED
    await register(bot, resident)
    calls = await bot.send(resident, texts_fa.MENU_MY_REPORTS)
    assert calls[-1].text == texts_fa.MY_REPORTS_EMPTY
    assert texts_fa.MENU_REPORT in calls[-1].keyboard


async def test_a_forged_page_number_shows_the_last_page(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    page = (await bot.send(resident, texts_fa.MENU_MY_REPORTS))[-1]
    calls = await bot.press(resident, "r:l:99", on=page)
    assert calls[-1].method == "editMessageText"
    assert calls[-1].text == page.text  # page 1 of 1
    assert calls[-1].buttons == page.buttons


async def test_from_the_list_to_a_report_and_back(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    page = (await bot.send(resident, texts_fa.MENU_MY_REPORTS))[-1]
    [(label, data)] = page.buttons
    assert f"{to_persian_digits(ticket.code[:3])}-{to_persian_digits(ticket.code[3:])}" in label
    shown = (await bot.press(resident, data, on=page))[-1]
    assert shown.text.startswith(f"🎫 <b>گزارش {bot.app.notices.code(ticket)}</b>")
    assert [label for label, _ in shown.buttons] == [
        texts_fa.BUTTON_ADD_INFO,
        texts_fa.BUTTON_BACK_TO_LIST,
    ]
    back = (await bot.press(resident, shown.data_for(texts_fa.BUTTON_BACK_TO_LIST), on=shown))[-1]
    assert (back.text, back.buttons) == (page.text, page.buttons)


async def test_the_ticket_page_tells_its_whole_history_in_order(bot, resident):
    facilitator = Person(400001, "تسهیل‌گر")
    clerk = Person(300001, "کارمند شهرداری")
    neighbor = Person(222333444, "حسن")
    await bot.app.storage.grant_role(facilitator.id, "facilitator", "shahr_qaem", None)
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident, location=(34.6400, 50.8760))
    ticket = await stored_ticket(bot, resident)
    await back(bot, neighbor, location=(34.6401, 50.8761))
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(clerk, card.data_for("دریافت شد"), on=card)
    await bot.feed(reply_in_group(bot, clerk, MUNICIPALITY_CHAT, card.message_id, "<فردا> می‌آییم"))
    await bot.press(resident, f"r:{ticket.id}:i")
    await bot.send(resident, "امروز بدتر هم شده است")
    await bot.press(facilitator, f"f:{ticket.id}:ed")
    await bot.send(facilitator, "زباله‌های کوچه سه روز است جمع نشده است")
    await bot.press(clerk, card.data_for("مربوط به ما نیست"), on=card)
    await bot.press(clerk, f"a:{ticket.id}:no:0", on=card)
    await bot.press(facilitator, f"f:{ticket.id}:ht")  # a note: not for the resident
    await bot.press(facilitator, f"f:{ticket.id}:to:water")
    water_card = card_in(bot, WATER_CHAT)
    await bot.press(Person(300002, "کارمند آب"), water_card.data_for("حل شد"), on=water_card)
    await bot.press(resident, f"r:{ticket.id}:y")
    await bot.press(resident, f"r:{ticket.id}:s:4")

    page = (await bot.press(resident, f"r:{ticket.id}:v"))[-1]
    history = page.text.split("\n• ")[1:]
    now = format_datetime(bot.clock.now())  # the clock stood still: every step at 10:00 Tehran
    assert {line.split(" — ", 1)[0] for line in history} == {now}
    assert [line.split(" — ", 1)[1] for line in history] == [
        texts_fa.EVENT_CREATED,
        texts_fa.EVENT_SUPPORTER,
        texts_fa.EVENT_STATUS.format(status=texts_fa.STATUS["acknowledged"]),
        texts_fa.EVENT_REPLY.format(who="کارمند شهرداری", body="&lt;فردا&gt; می‌آییم"),
        texts_fa.EVENT_INFO.format(body="امروز بدتر هم شده است"),
        texts_fa.EVENT_EDITED,
        texts_fa.EVENT_STATUS.format(status=texts_fa.STATUS["queued"]),
        texts_fa.EVENT_REASSIGN.format(agency=bot.app.catalog.agency("water").name),
        texts_fa.EVENT_STATUS.format(status=texts_fa.STATUS["resolved"]),
        texts_fa.EVENT_RATING.format(body="۴"),
    ]
    ticket = await bot.app.storage.get_ticket(ticket.id)
    emoji, category = bot.app.notices.category(ticket)
    header = texts_fa.TICKET_PAGE.split("{history}")[0].format(
        code=bot.app.notices.code(ticket),
        emoji=emoji,
        category=category,
        neighborhood=bot.app.catalog.neighborhood("shahr_qaem").name,
        status=texts_fa.STATUS["resolved"],
        created=format_date(ticket.created_at),
        supporters="۲",  # she and one neighbor
        description="زباله‌های کوچه سه روز است جمع نشده است",  # as the office edited it
    )
    assert page.text.startswith(header)
    assert [label for label, _ in page.buttons] == [
        texts_fa.BUTTON_BACK_TO_LIST
    ]  # closed: no «add»


def reply_in_group(bot, person: Person, chat_id: int, reply_to: int, text: str) -> dict:
    """A group member's reply to the bot's message `reply_to`."""
    data = bot.message(person, text=text, reply_to_message={
        "message_id": reply_to,
        "date": int(bot.clock.now().timestamp()),
        "chat": {"id": chat_id, "type": "supergroup", "title": "گروه"},
        "from": {"id": 7000000001, "is_bot": True, "first_name": "همیار محله"},
        "text": "…",
    })  # fmt: skip
    data["message"]["chat"] = {"id": chat_id, "type": "supergroup", "title": "گروه"}
    return data


# ---------------------------------------------------------------- my reports: adding information


def reply_to(message: Call) -> dict:
    """A private message's `reply_to_message` quoting the bot's `message`."""
    return {
        "message_id": message.message_id,
        "date": 1766300000,
        "chat": {"id": message.chat_id, "type": "private"},
        "from": {"id": 7000000001, "is_bot": True, "first_name": "همیار محله"},
        "text": message.text,
    }


async def test_a_photo_added_to_a_report_reaches_the_agency_with_a_note(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    code = bot.app.notices.code(ticket)
    ask = (await bot.press(resident, f"r:{ticket.id}:i"))[-1]
    assert ask.text == texts_fa.ASK_INFO.format(code=code)
    assert ask.keyboard == [texts_fa.BUTTON_CANCEL]
    medium = {"file_id": "AgACmedium", "file_unique_id": "m1", "width": 320, "height": 240}
    calls = await bot.send_raw(resident, photo=[PHOTO[0], medium, PHOTO[1]])
    sent = bot.api.last_to(resident.id)
    assert sent.text == texts_fa.INFO_SENT.format(code=code)
    assert texts_fa.MENU_REPORT in sent.keyboard
    note, photo = [c for c in calls if c.chat_id == MUNICIPALITY_CHAT]
    assert note.text == texts_fa.INFO_TO_HANDLER.format(code=code, text=texts_fa.INFO_MEDIA)
    assert (photo.method, photo.params["photo"]) == ("sendPhoto", "AgACbig")  # the largest


async def test_a_voice_added_to_a_report_waiting_for_the_office_reaches_the_facilitator(
    bot, resident
):
    facilitator = Person(400001, "تسهیل‌گر")
    elsewhere = Person(400002, "تسهیل‌گر امین‌آباد")
    await bot.app.storage.grant_role(facilitator.id, "facilitator", "shahr_qaem", None)
    await bot.app.storage.grant_role(elsewhere.id, "facilitator", "aminabad", None)
    await register(bot, resident)
    # Lighting goes to the electricity company, which has no group: the office handles it.
    await file_report(bot, resident, category="lighting", text="چراغ کوچه سه شب خاموش است")
    ticket = await stored_ticket(bot, resident)
    code = bot.app.notices.code(ticket)
    await bot.press(resident, f"r:{ticket.id}:i")
    voice = {"file_id": "AwACmore", "file_unique_id": "v2", "duration": 12}
    calls = await bot.send_raw(resident, voice=voice)
    assert texts_fa.INFO_SENT.format(code=code) in texts(calls)
    note, sound = [c for c in calls if c.chat_id == facilitator.id]
    assert note.text.startswith(
        texts_fa.INFO_TO_HANDLER.format(code=code, text=texts_fa.INFO_MEDIA)
    )
    assert (sound.method, sound.params["voice"]) == ("sendVoice", "AwACmore")
    assert bot.api.sent_to(elsewhere.id) == []  # another neighborhood's office hears nothing
    events = await bot.app.storage.ticket_events(ticket.id)
    assert (events[-1].kind, events[-1].body) == ("info", "")


async def test_a_reply_to_a_message_about_no_report_gets_a_pointer(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    welcome = bot.api.sent_to(resident.id)[0]
    calls = await bot.send_raw(resident, text="یک توضیح", reply_to_message=reply_to(welcome))
    assert calls[-1].text == texts_fa.USE_MENU
    assert texts_fa.MENU_REPORT in calls[-1].keyboard
    ticket = await stored_ticket(bot, resident)
    assert [e.kind for e in await bot.app.storage.ticket_events(ticket.id)] == ["created"]


async def test_added_information_that_is_only_invisible_marks_is_refused(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    await bot.press(resident, f"r:{ticket.id}:i")
    calls = await bot.send(resident, "\u200f\u0640\u0640")  # RLM and tatweel: nothing left
    assert calls[-1].text == texts_fa.DESCRIPTION_WRONG_TYPE
    assert [e.kind for e in await bot.app.storage.ticket_events(ticket.id)] == ["created"]


@pytest.mark.parametrize("how", [texts_fa.BUTTON_CANCEL, "/cancel"])
async def test_adding_information_can_be_cancelled(bot, resident, how):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    await bot.press(resident, f"r:{ticket.id}:i")
    calls = await bot.send(resident, how)
    assert calls[-1].text == texts_fa.CANCELLED
    assert texts_fa.MENU_REPORT in calls[-1].keyboard
    calls = await bot.send(resident, "امروز بدتر هم شده است")  # no longer taken as information
    assert calls[-1].text == texts_fa.USE_MENU
    assert [e.kind for e in await bot.app.storage.ticket_events(ticket.id)] == ["created"]


async def test_a_closed_report_takes_no_more_information(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    ask = (await bot.press(resident, f"r:{ticket.id}:i"))[-1]  # asked while still open
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(Person(300001, "کارمند شهرداری"), card.data_for("حل شد"), on=card)
    question = bot.api.last_to(resident.id)  # «was it solved?», about this report
    calls = await bot.send(resident, "امروز بدتر هم شده است")
    assert calls[-1].text == texts_fa.INFO_CLOSED
    assert texts_fa.MENU_REPORT in calls[-1].keyboard
    calls = await bot.press(resident, f"r:{ticket.id}:i", on=ask)
    assert calls[-1].text == texts_fa.INFO_CLOSED
    calls = await bot.send_raw(resident, text="یک توضیح دیگر", reply_to_message=reply_to(question))
    assert calls[-1].text == texts_fa.INFO_CLOSED
    events = await bot.app.storage.ticket_events(ticket.id)
    assert "info" not in [e.kind for e in events]


# ---------------------------------------------------------------- my reports: was it solved?


async def test_was_it_solved_buttons_of_a_report_not_resolved_say_already_answered(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    for data in (f"r:{ticket.id}:y", f"r:{ticket.id}:n", f"r:{ticket.id}:s:5"):
        calls = await bot.press(resident, data)
        assert calls[0].params == {
            "callback_query_id": calls[0].params["callback_query_id"],
            "text": texts_fa.ALREADY_ANSWERED,
            "show_alert": True,
        }
        assert calls[-1].method == "editMessageReplyMarkup"  # the stale buttons go
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "new"


async def test_a_rating_is_given_once_and_only_from_one_to_five(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident)
    ticket = await stored_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(Person(300001, "کارمند شهرداری"), card.data_for("حل شد"), on=card)
    calls = await bot.press(resident, f"r:{ticket.id}:s:7")
    assert calls[-1].params["text"] == texts_fa.BUTTON_INVALID
    assert (await bot.app.storage.get_ticket(ticket.id)).rating is None
    await bot.press(resident, f"r:{ticket.id}:s:5")
    calls = await bot.press(resident, f"r:{ticket.id}:s:1")
    assert calls[-1].params["text"] == texts_fa.ALREADY_ANSWERED
    assert (await bot.app.storage.get_ticket(ticket.id)).rating == 5


@pytest.mark.parametrize("refused", [DiskFull.WRITES, ("COMMIT",)], ids=["every write", "commit"])
async def test_a_report_confirmed_while_the_disk_is_full_is_kept_until_it_is_stored(
    bot, resident, monkeypatch, refused
):
    await register(bot, resident)
    calls = await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste", on=calls[-1])
    await bot.send(resident, "زباله‌ها سه روز است جمع نشده و بوی بد می‌دهد")
    await bot.send(resident, texts_fa.BUTTON_CONTINUE)
    review = (await bot.send(resident, texts_fa.BUTTON_SKIP))[-1]
    disk = DiskFull(bot.app.storage, monkeypatch, refused)
    disk.full = True
    calls = await bot.press(resident, review.data_for(texts_fa.BUTTON_CONFIRM), on=review)
    told = calls[-1]
    assert told.text == texts_fa.REPORT_NOT_SAVED.format(button=texts_fa.BUTTON_CONFIRM)
    assert await stored_ticket(bot, resident) is None
    assert not bot.api.sent_to(MUNICIPALITY_CHAT)

    disk.full = False
    bot.clock.advance(minutes=1)
    await bot.press(resident, told.data_for(texts_fa.BUTTON_CONFIRM), on=told)
    ticket = await stored_ticket(bot, resident)
    assert ticket.description == "زباله‌ها سه روز است جمع نشده و بوی بد می‌دهد"
    assert "گزارش شما ثبت شد" in bot.api.last_to(resident.id).text
    assert "زباله‌ها سه روز" in card_in(bot, MUNICIPALITY_CHAT).text


async def resolved_report(bot, resident) -> tuple:
    """A report of hers the municipality marked solved, and the «was it solved?» question."""
    await register(bot, resident)
    await file_report(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(Person(300001, "کارمند شهرداری"), card.data_for("حل شد"), on=card)
    return await stored_ticket(bot, resident), bot.api.last_to(resident.id)


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
async def test_solved_offers_five_scores_and_keeps_the_one_pressed(bot, resident, score):
    ticket, question = await resolved_report(bot, resident)
    calls = await bot.press(resident, question.data_for("بله"), on=question)
    assert [c.method for c in calls[1:]] == ["editMessageReplyMarkup", "sendMessage"]
    assert "reply_markup" not in calls[1].params  # the question's buttons are gone
    ask = calls[-1]
    assert ask.text == texts_fa.ASK_RATING
    scores = [(to_persian_digits(n), f"r:{ticket.id}:s:{n}") for n in range(1, 6)]
    assert ask.buttons == scores[::-1]  # one row, read right to left: ۱ on the right
    calls = await bot.press(resident, ask.data_for(to_persian_digits(score)), on=ask)
    assert calls[-1].text == texts_fa.THANKS_RATING
    assert (await bot.app.storage.get_ticket(ticket.id)).rating == score


async def test_not_solved_tells_her_the_agency_and_the_office_in_so_many_words(bot, resident):
    facilitator = Person(400001, "تسهیل‌گر")
    elsewhere = Person(400002, "تسهیل‌گر امین‌آباد")
    await bot.app.storage.grant_role(facilitator.id, "facilitator", "shahr_qaem", None)
    await bot.app.storage.grant_role(elsewhere.id, "facilitator", "aminabad", None)
    ticket, question = await resolved_report(bot, resident)
    calls = await bot.press(resident, question.data_for("نه"), on=question)
    code = bot.app.notices.code(ticket)
    agency = bot.app.catalog.agency("municipality").name
    _, category = bot.app.notices.category(ticket)
    to_her = [c for c in calls if c.chat_id == resident.id and c.method == "sendMessage"]
    assert [c.text for c in to_her] == [texts_fa.REOPENED_RESIDENT.format(code=code, agency=agency)]
    assert (
        "reply_markup" not in next(c for c in calls if c.method == "editMessageReplyMarkup").params
    )
    to_agency = [c for c in calls if c.chat_id == MUNICIPALITY_CHAT and c.method == "sendMessage"]
    assert [c.text for c in to_agency] == [texts_fa.REOPENED_AGENCY.format(code=code)]
    assert to_agency[0].params["reply_parameters"]["message_id"] == ticket.card_message_id
    alert = texts_fa.REOPENED_ALERT.format(
        code=code,
        category=category,
        neighborhood=bot.app.catalog.neighborhood("shahr_qaem").name,
        agency=agency,
    )
    assert next(c for c in calls if c.chat_id == facilitator.id).text.startswith(alert)
    assert bot.api.sent_to(elsewhere.id) == []
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "reopened"
    page = (await bot.press(resident, f"r:{ticket.id}:v"))[-1]
    reopened = texts_fa.EVENT_STATUS.format(status=texts_fa.STATUS["reopened"])
    assert page.text.endswith(f" — {reopened}")
    # Her reply to the reopening notice adds to the report.
    calls = await bot.send_raw(resident, text="هنوز همان‌جاست", reply_to_message=reply_to(to_her[0]))
    assert texts_fa.INFO_SENT.format(code=code) in texts(calls)


async def test_a_supporters_page_shows_the_problem_but_not_the_owners_words(bot, resident):
    neighbor = Person(222333444, "حسن")
    await register(bot, resident)
    await register(bot, neighbor)
    await file_report(bot, resident, location=(34.6400, 50.8760))
    ticket = await stored_ticket(bot, resident)
    await back(bot, neighbor, location=(34.6401, 50.8761))
    await bot.press(resident, f"r:{ticket.id}:i")
    await bot.send(resident, "پلاک ۱۲ کنار سطل")
    page = (await bot.press(neighbor, f"r:{ticket.id}:v"))[-1]
    assert texts_fa.SUPPORTER_DESCRIPTION in page.text
    assert "زباله‌ها سه روز" not in page.text
    assert "پلاک ۱۲" not in page.text  # her addition is hers
    assert texts_fa.EVENT_SUPPORTER in page.text
    own = (await bot.press(resident, f"r:{ticket.id}:v"))[-1]
    assert texts_fa.SUPPORTER_DESCRIPTION not in own.text
    assert texts_fa.EVENT_INFO.format(body="پلاک ۱۲ کنار سطل") in own.text


async def test_a_voice_reports_page_says_it_was_a_voice_message(bot, resident):
    await register(bot, resident)
    await bot.send(resident, texts_fa.MENU_REPORT)
    await bot.press(resident, "rp:c:waste")
    await bot.send_raw(resident, voice={"file_id": "AwACv", "file_unique_id": "v", "duration": 30})
    await bot.send(resident, texts_fa.BUTTON_CONTINUE)
    review = (await bot.send(resident, texts_fa.BUTTON_SKIP))[-1]
    await bot.press(resident, "rp:ok", on=review)
    ticket = await stored_ticket(bot, resident)
    page = (await bot.press(resident, f"r:{ticket.id}:v"))[-1]
    assert f"\n\n{texts_fa.VOICE_DESCRIPTION}\n\n" in page.text
