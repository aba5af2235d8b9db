"""The agency's and the facilitators' side of a ticket, and the loop back to the resident."""

from bot import sla, texts_fa
from tests.conftest import ADMIN, MUNICIPALITY_CHAT, WATER_CHAT
from tests.flows import back, card_in, file_report, register
from tests.harness import Person, texts

CLERK = Person(300001, "کارمند شهرداری")
FACILITATOR = Person(400001, "تسهیل‌گر")
NEIGHBOR = Person(222333444, "حسن")


def in_group(chat_id: int, person: Person, text: str, reply_to: int) -> dict:
    return {
        "message": {
            "message_id": 5000 + reply_to,
            "date": 1766300000,
            "chat": {"id": chat_id, "type": "supergroup", "title": "گروه"},
            "from": person.json,
            "text": text,
            "reply_to_message": {
                "message_id": reply_to,
                "date": 1766300000,
                "chat": {"id": chat_id, "type": "supergroup", "title": "گروه"},
                "from": {"id": 7000000001, "is_bot": True, "first_name": "همیار محله"},
                "text": "…",
            },
        }
    }


async def setup_ticket(bot, resident, **report):
    await bot.app.storage.grant_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    await register(bot, resident)
    await file_report(bot, resident, **report)
    return (await bot.app.storage.tickets_of_resident(resident.id, 1, 0))[0]


async def test_agency_buttons_move_the_ticket_and_tell_the_resident(bot, resident):
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)

    calls = await bot.press(CLERK, card.data_for("دریافت شد"), on=card)
    assert calls[0].params["text"] == texts_fa.DONE_SHORT
    notice = bot.api.last_to(resident.id)
    assert "👀 دریافت شد" in notice.text
    assert "شهرداری قم" in notice.text
    edit = [c for c in calls if c.method == "editMessageText"][-1]
    assert edit.params["message_id"] == card.message_id
    assert "کارمند شهرداری" in edit.text  # who acted
    assert texts_fa.BUTTON_ACK not in [label for label, _ in edit.buttons]

    await bot.press(CLERK, edit.data_for("در حال انجام"), on=edit)
    assert "در حال رسیدگی" in bot.api.last_to(resident.id).text
    edit = [c for c in bot.api.sent_to(MUNICIPALITY_CHAT) if c.method == "editMessageText"][-1]
    await bot.press(CLERK, edit.data_for("حل شد"), on=edit)
    question = bot.api.last_to(resident.id)
    assert "آیا مشکل واقعاً حل شد" in question.text
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "resolved"

    calls = await bot.press(resident, question.data_for("بله"), on=question)
    assert calls[-1].text == texts_fa.ASK_RATING
    calls = await bot.press(resident, f"r:{ticket.id}:s:4", on=calls[-1])
    assert calls[-1].text == texts_fa.THANKS_RATING
    assert (await bot.app.storage.get_ticket(ticket.id)).rating == 4
    calls = await bot.press(resident, f"r:{ticket.id}:s:1")
    assert (await bot.app.storage.get_ticket(ticket.id)).rating == 4


async def test_forged_callbacks_change_nothing(bot, resident, caplog):
    ticket = await setup_ticket(bot, resident)
    stranger = Person(666, "غریبه")
    for person in (stranger, resident):  # pressed from their own private chat, not the group
        for data in (f"a:{ticket.id}:done", f"a:{ticket.id}:no:0", f"f:{ticket.id}:cx:0"):
            calls = await bot.press(person, data)
            assert calls[-1].params["text"] == texts_fa.NOT_ALLOWED
    calls = await bot.press(stranger, "a:99999:ack")
    assert calls[-1].params["text"] == texts_fa.NOT_ALLOWED
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "new"
    assert "Refused agency action" in caplog.text


async def test_agency_member_by_role_may_act_from_a_private_chat(bot, resident):
    ticket = await setup_ticket(bot, resident)
    await bot.app.storage.grant_role(CLERK.id, "agency", "municipality", ADMIN.id)
    await bot.press(CLERK, f"a:{ticket.id}:ack")
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "acknowledged"


async def test_two_clerks_pressing_at_once_act_once(bot, resident):
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("دریافت شد"), on=card)
    notices_before = len(bot.api.sent_to(resident.id))
    calls = await bot.press(Person(300002, "همکار"), card.data_for("دریافت شد"), on=card)
    assert calls[0].params["text"] == texts_fa.ACTION_STALE
    assert len(bot.api.sent_to(resident.id)) == notices_before
    assert (await bot.app.storage.ticket_events(ticket.id))[-1].actor_name == "کارمند شهرداری"


async def test_replies_are_relayed_both_ways(bot, resident):
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    calls = await bot.feed(
        in_group(MUNICIPALITY_CHAT, CLERK, "فردا صبح اکیپ اعزام می‌شود", card.message_id)
    )
    assert texts_fa.REPLY_RELAYED in texts(calls)
    official = bot.api.last_to(resident.id)
    assert "پاسخ شهرداری قم" in official.text
    assert "فردا صبح اکیپ اعزام می‌شود" in official.text

    # The resident answers with Telegram's reply on that notice.
    calls = await bot.feed(
        {
            "message": {
                "message_id": 9001,
                "date": 1766300000,
                "chat": {"id": resident.id, "type": "private"},
                "from": resident.json,
                "text": "ممنون، کوچهٔ دوم سمت چپ است",
                "reply_to_message": {
                    "message_id": official.message_id,
                    "date": 1766300000,
                    "chat": {"id": resident.id, "type": "private"},
                    "from": {"id": 7000000001, "is_bot": True, "first_name": "همیار محله"},
                    "text": "…",
                },
            }
        }
    )
    relayed = bot.api.last_to(MUNICIPALITY_CHAT)
    assert "کوچهٔ دوم سمت چپ" in relayed.text
    assert relayed.params["reply_parameters"]["message_id"] == card.message_id
    history = [e.kind for e in await bot.app.storage.ticket_events(ticket.id)]
    assert history == ["created", "reply", "info"]


async def test_group_chatter_is_ignored(bot, resident):
    await setup_ticket(bot, resident)
    assert await bot.feed(in_group(MUNICIPALITY_CHAT, CLERK, "سلام همکاران", 424242)) == []


async def test_canned_answers_follow_the_status_rules(bot, resident):
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    menu = (await bot.press(CLERK, card.data_for("پاسخ آماده"), on=card))[-1]
    assert menu.method == "editMessageReplyMarkup"
    labels = [label for label, _ in menu.buttons]
    assert any("دریافت شد" in label for label in labels)  # an «acknowledged» answer
    assert not any("مشکل برطرف شد" in label for label in labels)  # not «resolved» on a new card
    resolved_index = len(bot.app.catalog.canned_responses) - 1
    calls = await bot.press(CLERK, f"a:{ticket.id}:cr:{resolved_index}", on=card)  # forged
    assert calls[0].params["text"] == texts_fa.ACTION_STALE
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "new"


async def test_canned_answer_can_move_the_status(bot, resident):
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("در حال انجام"), on=card)
    calls = await bot.press(CLERK, f"a:{ticket.id}:cr", on=card)
    menu = calls[-1]
    assert menu.method == "editMessageReplyMarkup"
    resolved_index = len(bot.app.catalog.canned_responses) - 1
    await bot.press(CLERK, f"a:{ticket.id}:cr:{resolved_index}", on=card)
    sent = bot.api.sent_to(resident.id)
    assert "مشکل برطرف شد" in sent[-2].text
    assert "آیا مشکل واقعاً حل شد" in sent[-1].text
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "resolved"


async def test_not_ours_goes_to_the_facilitators_who_reassign(bot, resident):
    ticket = await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("مربوط به ما نیست"), on=card)
    await bot.press(CLERK, f"a:{ticket.id}:no:0", on=card)
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "queued"
    assert "در صف دفتر محله" in bot.api.last_to(resident.id).text
    triage = bot.api.last_to(FACILITATOR.id)
    assert "مربوط به دستگاه دیگری است" in triage.text
    calls = await bot.press(FACILITATOR, triage.data_for("ارجاع"), on=triage)
    assert "به کدام دستگاه" in calls[-1].text
    await bot.press(FACILITATOR, f"f:{ticket.id}:to:water", on=calls[-1])
    moved = await bot.app.storage.get_ticket(ticket.id)
    assert (moved.agency, moved.status) == ("water", "new")
    assert card_in(bot, WATER_CHAT).text.count("زباله‌ها سه روز") == 1
    assert moved.card_chat_id == WATER_CHAT


async def test_agency_without_a_chat_queues_for_facilitators_or_admins(bot, resident):
    await register(bot, resident)
    await file_report(bot, resident, category="lighting", text="چراغ‌های کوچه سه شب است خاموش است")
    triage = bot.api.last_to(ADMIN.id)  # no facilitator for the neighborhood yet
    assert "شرکت توزیع برق" in triage.text
    assert "هنوز گروهی در بات ندارد" in triage.text
    assert "زهرا" in triage.text  # facilitators see who reported


async def test_review_first_edit_hide_and_approve(bot, resident):
    ticket = await setup_ticket(
        bot, resident, category="social_harm", text="آقای فلانی در پارک مواد می‌فروشد"
    )
    assert ticket.status == "review"
    triage = bot.api.last_to(FACILITATOR.id)
    assert "پیش از ارسال" in triage.text
    await bot.press(FACILITATOR, triage.data_for("ویرایش متن"), on=triage)
    calls = await bot.send(FACILITATOR, "فردی در پارک محله مواد می‌فروشد")
    assert "ویرایش شد" in texts(calls)
    triage = calls[-1]
    calls = await bot.press(FACILITATOR, triage.data_for("تأیید و ارسال"), on=triage)
    approved = await bot.app.storage.get_ticket(ticket.id)
    assert approved.status == "queued"  # Behzisti has no chat: still with the office
    assert approved.description == "فردی در پارک محله مواد می‌فروشد"
    triage = calls[-1]
    await bot.press(FACILITATOR, f"f:{ticket.id}:ht", on=triage)
    await bot.press(FACILITATOR, f"f:{ticket.id}:to:municipality", on=triage)
    card = card_in(bot, MUNICIPALITY_CHAT)
    assert texts_fa.CARD_TEXT_HIDDEN in card.text
    assert "مواد" not in card.text


async def test_close_with_a_reason_and_mute(bot, resident):
    ticket = await setup_ticket(bot, resident, category="other", text="یک موضوع دیگر در محله ما")
    triage = bot.api.last_to(FACILITATOR.id)
    calls = await bot.press(FACILITATOR, triage.data_for("رد گزارش"), on=triage)
    await bot.press(FACILITATOR, f"f:{ticket.id}:cx:3", on=calls[-1])
    closed = await bot.app.storage.get_ticket(ticket.id)
    assert closed.status == "rejected"
    assert "نامناسب یا توهین‌آمیز" in bot.api.last_to(resident.id).text
    await bot.press(FACILITATOR, f"f:{ticket.id}:mu")
    assert (await bot.app.storage.get_resident(resident.id)).muted
    calls = await bot.send(resident, texts_fa.MENU_REPORT)
    assert calls[-1].text == texts_fa.REPORT_MUTED


async def test_facilitator_of_another_neighborhood_is_refused(bot, resident):
    ticket = await setup_ticket(bot, resident, category="other", text="یک موضوع دیگر در محله ما")
    other = Person(400002, "تسهیل‌گر دیگر")
    await bot.app.storage.grant_role(other.id, "facilitator", "aminabad", ADMIN.id)
    calls = await bot.press(other, f"f:{ticket.id}:ok")
    assert calls[-1].params["text"] == texts_fa.NOT_ALLOWED
    calls = await bot.send(other, "/queue")
    assert calls[-1].text == texts_fa.QUEUE_EMPTY
    calls = await bot.send(FACILITATOR, "/queue")
    assert len(calls[-1].buttons) == 1
    calls = await bot.send(FACILITATOR, f"/ticket {ticket.code[:3]}-{ticket.code[3:]}")
    assert "یک موضوع دیگر" in calls[-1].text


async def test_a_facilitator_revoked_after_opening_a_ticket_can_no_longer_act_on_it(bot, resident):
    ticket = await setup_ticket(bot, resident, category="other", text="یک موضوع دیگر در محله ما")
    card = bot.api.last_to(FACILITATOR.id)
    await bot.press(FACILITATOR, card.data_for("ویرایش"), on=card)  # editing the text …
    await bot.app.storage.revoke_role(FACILITATOR.id, "facilitator", "shahr_qaem", ADMIN.id)
    calls = await bot.send(FACILITATOR, "متنی که دیگر نباید ثبت شود")  # … revoked meanwhile
    assert calls[-1].text == texts_fa.NOT_ALLOWED
    for label in ("تأیید", "پنهان کردن متن", "رد گزارش"):
        calls = await bot.press(FACILITATOR, card.data_for(label), on=card)
        assert calls[-1].params["text"] == texts_fa.NOT_ALLOWED
    after = await bot.app.storage.get_ticket(ticket.id)
    assert (after.status, after.hidden_text) == ("review", False)
    assert after.description == "یک موضوع دیگر در محله ما"


async def test_not_solved_reopens_and_alerts(bot, resident):
    ticket = await setup_ticket(bot, resident)
    bot.clock.advance(days=5)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("حل شد"), on=card)
    question = bot.api.last_to(resident.id)
    calls = await bot.press(resident, question.data_for("نه"), on=question)
    assert (await bot.app.storage.get_ticket(ticket.id)).status == "reopened"
    assert "دوباره باز شد" in bot.api.last_to(resident.id).text
    to_agency = [c for c in calls if c.chat_id == MUNICIPALITY_CHAT]
    assert "حل نشده" in to_agency[0].text
    assert to_agency[0].params["reply_parameters"]["message_id"] == card.message_id
    assert "دوباره باز شد" in to_agency[1].text  # the card, edited in place
    assert resident.first_name not in to_agency[1].text  # she did not share her name
    assert "حل نشده" in bot.api.last_to(FACILITATOR.id).text
    calls = await bot.press(resident, question.data_for("نه"), on=question)
    assert calls[0].params["text"] == texts_fa.ALREADY_ANSWERED
    bot.clock.advance(days=6)  # the deadlines count from the reopening: acknowledge (24 h) …
    assert await sla.check_deadlines(bot.app) == 1
    bot.clock.advance(days=2)  # … and resolve (7 days)
    assert await sla.check_deadlines(bot.app) == 1


async def test_supporters_hear_status_changes(bot, resident):
    await setup_ticket(bot, resident)
    await register(bot, NEIGHBOR)
    await back(bot, NEIGHBOR)
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("در حال انجام"), on=card)
    assert "در حال رسیدگی" in bot.api.last_to(NEIGHBOR.id).text
    assert "در حال رسیدگی" in bot.api.last_to(resident.id).text


async def test_deadline_reminders_by_moving_the_clock(bot, resident):
    await setup_ticket(bot, resident)
    assert await sla.check_deadlines(bot.app) == 0
    bot.clock.advance(hours=25)  # municipality: 24 h to acknowledge
    assert await sla.check_deadlines(bot.app) == 1
    await bot.app.delivery.drain()
    reminder = bot.api.last_to(MUNICIPALITY_CHAT)
    assert "یادآوری" in reminder.text
    assert "۲۴ ساعت" in reminder.text
    assert reminder.params["reply_parameters"]["message_id"] == ticket_card(bot)
    assert "اعلام دریافت" in bot.api.last_to(FACILITATOR.id).text
    assert await sla.check_deadlines(bot.app) == 0  # once only
    await bot.restart()
    assert await sla.check_deadlines(bot.app) == 0  # a restart does not repeat it
    bot.clock.advance(days=7)  # 168 h to resolve
    assert await sla.check_deadlines(bot.app) == 1
    await bot.app.delivery.drain()
    assert "رسیدگی" in bot.api.last_to(FACILITATOR.id).text


async def test_a_reopened_ticket_is_reminded_to_acknowledge_again(bot, resident):
    await setup_ticket(bot, resident)
    bot.clock.advance(hours=25)
    assert await sla.check_deadlines(bot.app) == 1  # the first acknowledgement reminder
    card = card_in(bot, MUNICIPALITY_CHAT)
    await bot.press(CLERK, card.data_for("حل شد"), on=card)
    question = bot.api.last_to(resident.id)
    await bot.press(resident, question.data_for("نه"), on=question)  # reopened
    assert await sla.check_deadlines(bot.app) == 0
    bot.clock.advance(hours=23)
    assert await sla.check_deadlines(bot.app) == 0  # 24 h from the reopening, not before
    bot.clock.advance(hours=2)
    assert await sla.check_deadlines(bot.app) == 1
    await bot.app.delivery.drain()
    ack = texts_fa.SLA_STAGE["ack"]
    assert ack in bot.api.last_to(MUNICIPALITY_CHAT).text
    assert ack in bot.api.last_to(FACILITATOR.id).text
    assert await sla.check_deadlines(bot.app) == 0  # once per reopening


def ticket_card(bot) -> int:
    return card_in(bot, MUNICIPALITY_CHAT).message_id


async def test_a_clerks_voice_or_file_reaches_the_resident_and_a_sticker_is_answered(
    bot, resident
):
    await setup_ticket(bot, resident)
    card = card_in(bot, MUNICIPALITY_CHAT)
    attachments = {
        "voice": {"file_id": "AwACvoice", "file_unique_id": "v1", "duration": 4},
        "document": {"file_id": "BQACfile", "file_unique_id": "d1", "file_name": "نامه.pdf"},
    }
    for kind, attachment in attachments.items():
        update = in_group(MUNICIPALITY_CHAT, CLERK, "", card.message_id)
        del update["message"]["text"]
        update["message"][kind] = attachment
        calls = await bot.feed(update)
        assert texts_fa.REPLY_RELAYED in texts(calls)
        sent = bot.api.last_to(resident.id)
        assert sent.method == f"send{kind.capitalize()}"
        assert sent.params[kind] == attachment["file_id"]
    update = in_group(MUNICIPALITY_CHAT, CLERK, "", card.message_id)
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "CAACst", "file_unique_id": "s1", "width": 512,
                                    "height": 512, "is_animated": False, "is_video": False,
                                    "type": "regular"}  # fmt: skip
    calls = await bot.feed(update)
    assert texts(calls) == texts_fa.REPLY_KIND_NOT_RELAYED
    assert bot.api.last_to(resident.id).method == "sendDocument"  # nothing new for the resident
